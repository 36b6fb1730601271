fn main() {
    std::process::exit(spacesmith::cli::run(std::env::args_os().collect()));
}
