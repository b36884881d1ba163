//! Stamps the shared library with a soname carrying the major version (libpkt.so.0), so that
//! programs linked against it refuse an incompatible major release.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libpkt.so.{major}");
    println!("cargo:rerun-if-changed=build.rs");
}
