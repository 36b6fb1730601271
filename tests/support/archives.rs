//! Archives as an attacker writes them, for the tests of the gateway's unpacking (the unit tests in
//! host/src/gateway/archive.rs and host/tests/gateway.rs include this file with `#[path]`).

#![allow(dead_code)]

/// A `.tar.gz` with these entries, names written raw: `tar::Builder::append_data` itself refuses `..`,
/// and the point is what a hostile client sends. Links point at `../../etc/passwd`.
pub fn tar_gz(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (name, kind, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        if kind.is_symlink() || kind.is_hard_link() {
            h.set_link_name("../../etc/passwd").unwrap();
        }
        let raw = name.as_bytes();
        h.as_old_mut().name[..raw.len()].copy_from_slice(raw);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}
