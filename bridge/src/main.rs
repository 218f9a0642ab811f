//! erldist-bridge: serves the playground and relays websockets to epmd and
//! registered nodes. `erldist-bridge --help` lists the options.

use clap::Parser;

fn main() {
    let args = erldist_bridge::Args::parse();
    // Two sockets per session: raise the open-file limit to what is allowed.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("erldist-bridge: could not raise the open-file limit: {e}");
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("erldist-bridge: tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(erldist_bridge::run(args)) {
        eprintln!("erldist-bridge: {e}");
        std::process::exit(1);
    }
}
