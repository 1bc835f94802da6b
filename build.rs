//! Whether the tests reach PostgreSQL: built with `NEWSROOM_TEST_POSTGRES_URL` set, the
//! PostgreSQL variant of each test runs; built without, it shows as ignored (not as
//! passed).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=NEWSROOM_TEST_POSTGRES_URL");
    if std::env::var("NEWSROOM_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
