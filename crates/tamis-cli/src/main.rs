//! The `tamis` binary: the command itself is the library's ([`tamis_cli::main_from`]).

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(tamis_cli::main_from(std::env::args_os()))
}
