// placeholder: replaced by the subcommand table
