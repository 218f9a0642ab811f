//! erldist-bridge: serves the playground and relays websockets to epmd and
//! registered nodes (issue 7). Placeholder until the bridge lands.

fn main() {
    eprintln!("erldist-bridge: not built yet");
    std::process::exit(2);
}
