//! What the tests need to know at build time.
//!
//! Whether they reach PostgreSQL: built with `NEWSROOM_TEST_POSTGRES_URL` set, the
//! PostgreSQL variant of each test runs; built without, it shows as ignored (not as
//! passed). And a hash of the migrations' sources (`NEWSROOM_MIGRATIONS_HASH`), which names
//! the migrated template the PostgreSQL tests clone their databases from.
fn main() {
    println!("cargo::rerun-if-changed=migration/src");
    println!("cargo::rustc-env=NEWSROOM_MIGRATIONS_HASH={:016x}", migrations_hash());
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=NEWSROOM_TEST_POSTGRES_URL");
    if std::env::var("NEWSROOM_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}

/// FNV-1a over the migration sources' names and contents, in name order.
fn migrations_hash() -> u64 {
    let mut files: Vec<_> = std::fs::read_dir("migration/src")
        .expect("migration/src")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let contents = std::fs::read(&file).expect("a migration source");
        for byte in name.bytes().chain(contents) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
