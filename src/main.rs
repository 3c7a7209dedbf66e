fn main() {
    std::process::exit(rolecall::cli::main());
}
