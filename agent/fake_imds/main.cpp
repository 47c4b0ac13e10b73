// kindling-imds: placeholder until the fake metadata service lands.
int main() { return 1; }
