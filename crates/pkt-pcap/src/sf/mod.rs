//! Placeholder until the libpcap-faithful savefile reader lands (branch `sf`).
#![allow(dead_code, clippy::missing_safety_doc, clippy::should_implement_trait)]

pub struct Savefile {
    fp: *mut libc::FILE,
}

pub struct Record<'a> {
    pub sec: i64,
    pub frac: u32,
    pub caplen: u32,
    pub len: u32,
    pub data: &'a [u8],
}

impl Savefile {
    pub unsafe fn open(fp: *mut libc::FILE, _precision: i32) -> Result<Savefile, String> {
        let _ = fp;
        Err("savefiles are not supported yet".to_owned())
    }
    pub fn linktype(&self) -> i32 {
        1
    }
    pub fn linktype_ext(&self) -> u32 {
        0
    }
    pub fn snapshot(&self) -> i32 {
        262144
    }
    pub fn is_swapped(&self) -> bool {
        false
    }
    pub fn version(&self) -> (i32, i32) {
        (2, 4)
    }
    pub fn file(&self) -> *mut libc::FILE {
        self.fp
    }
    pub fn next(&mut self) -> Result<Option<Record<'_>>, String> {
        Ok(None)
    }
}
