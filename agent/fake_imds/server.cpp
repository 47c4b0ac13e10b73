// placeholder: replaced by the fake IMDS server
