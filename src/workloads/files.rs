//! `files`: write, read back and hash small files in a temp dir.
//!
//! Item `i` creates `item-i` ([`FILE_BYTES`] of data made from its index),
//! writes it, reads it back, hashes what it read and deletes the file. The
//! data goes to the page cache, not the disk: the kernel copies it and
//! returns, so "IO" here is mostly system calls and filesystem metadata
//! (create and unlink take the directory's lock). That work needs a core and
//! the lock, so it scales like CPU work at best: on the busy 2-core reference
//! machine no backend got past 1.3x its own 1-worker time (`tvp run -w
//! files`). `files_fsync` adds an fsync per file, which waits for the disk
//! and scales like real IO.
//!
//! Under the `async` backends each item's write, read and delete go to
//! tokio's blocking threads in one `spawn_blocking` hop
//! ([`Workload::run_async`]). Linux has no readiness for regular files: a
//! read or write of a file blocks the thread that makes it, so an event loop
//! must hand file IO to other threads. `tokio::fs` does exactly that, one hop
//! per call (create, write, fsync, open, read, remove: five or six per item);
//! one hop per item does the same work with fewer hand-offs.
//!
//! The temp dir is made by the job's fixture (`Job::setup`) under the `root`
//! option (default: the system temp dir) and removed when the fixture drops,
//! files left by a failed run included; it is named for its owner process,
//! so a run killed with SIGKILL has it swept by the next (see
//! [`crate::scratch`]). Its path travels in the `dir` option,
//! so child processes find it.
//!
//! Checksum: the wrapping sum of the files' hashes (FNV-1a over the 64-bit
//! words read back). Default 5,000 files: one sequential run took 360-520 ms
//! on the 2-core reference machine while others compiled on it (4,000 took
//! 180 ms under lighter load; `tvp run -w files -b sequential`).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::monte_carlo::splitmix64;
use super::{ChunkFuture, Entry, Fixture, Job, Kind, Resources, Workload};
use crate::context::Context;
use crate::error::{Error, Result};

/// Bytes per file: four pages.
pub const FILE_BYTES: usize = 16 * 1024;
const WORDS: usize = FILE_BYTES / 8;

/// Job option: the temp dir the files go in (set by the fixture).
pub const OPT_DIR: &str = "dir";
/// Job option: where the fixture makes its temp dir.
pub const OPT_ROOT: &str = "root";
/// The kind in the fixture's temp dir name (see [`crate::scratch`]).
pub const DIR_KIND: &str = "files";
/// Prefix of the fixture's temp dir name: `tvp-files-<pid>-...`.
pub const DIR_PREFIX: &str = "tvp-files-";

pub(super) const ENTRY: Entry = Entry {
    name: "files",
    kind: Kind::Io,
    teaches: "file IO through the page cache: system calls, not waiting, so it scales like CPU work at best",
    default_size: 5_000,
    build: build_cached,
    setup: Some(setup),
};

fn build_cached(job: &Job) -> Result<Box<dyn Workload>> {
    Ok(Box::new(Files::from_job(job, ENTRY.name, false)?))
}

/// Makes the temp dir under `root` and records it in the job's `dir` option.
/// Dropping the fixture removes the dir and everything in it.
pub(super) fn setup(job: &Job) -> Result<Fixture> {
    let root = job
        .options
        .get(OPT_ROOT)
        .map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = crate::scratch::dir_in(DIR_KIND, &root).map_err(|e| {
        Error::io(
            format!(
                "cannot make a temp dir for `{}` in {} (set the `{OPT_ROOT}` option or \
                 TMPDIR to a writable dir)",
                job.workload,
                root.display()
            ),
            e,
        )
    })?;
    let mut job = job.clone();
    job.options
        .insert(OPT_DIR.into(), dir.path().display().to_string());
    Ok(Fixture::with_guard(job, dir))
}

/// `size` files in `dir`, each fsynced after writing when `fsync` is set.
#[derive(Debug, Clone)]
pub struct Files {
    pub name: &'static str,
    pub size: u64,
    pub dir: PathBuf,
    pub fsync: bool,
}

impl Files {
    /// The workload a set-up job describes.
    pub fn from_job(job: &Job, name: &'static str, fsync: bool) -> Result<Self> {
        let dir = job.options.get(OPT_DIR).ok_or_else(|| {
            Error::InvalidJob(format!(
                "`{name}` needs the temp dir its fixture makes: run the job through \
                 Job::setup() and use the fixture's job"
            ))
        })?;
        Ok(Files {
            name,
            size: job.size,
            dir: PathBuf::from(dir),
            fsync,
        })
    }
}

impl Files {
    fn failed(&self, path: &Path, e: &std::io::Error) -> String {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => {
                Some("the fixture's temp dir must exist while the job runs".into())
            }
            _ => crate::error::os_hint(crate::error::Doing::Files, e),
        };
        format!(
            "`{}` failed on {}: {e}{}",
            self.name,
            path.display(),
            hint.map_or_else(String::new, |h| format!(" ({h})"))
        )
    }
}

/// Replaces `buf` with the contents of file `i`: word `j` is
/// `splitmix64(i * WORDS + j)`, little-endian.
fn fill(i: u64, buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend(
        (0..WORDS as u64)
            .flat_map(|j| splitmix64(i.wrapping_mul(WORDS as u64).wrapping_add(j)).to_le_bytes()),
    );
}

/// FNV-1a over 64-bit little-endian words.
pub fn fnv1a_words(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xCBF2_9CE4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01B3;
    bytes.chunks(8).fold(OFFSET, |h, w| {
        let mut word = [0u8; 8];
        word[..w.len()].copy_from_slice(w);
        (h ^ u64::from_le_bytes(word)).wrapping_mul(PRIME)
    })
}

/// The hash item `i` must produce: what a correct write and read give.
pub fn expected_hash(i: u64) -> u64 {
    let mut data = Vec::new();
    fill(i, &mut data);
    fnv1a_words(&data)
}

/// Writes `data` to `path`, fsyncs it if asked, reads it back into `back`
/// and deletes the file.
fn write_read_remove(
    path: &Path,
    data: &[u8],
    fsync: bool,
    back: &mut Vec<u8>,
) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(data)?;
    if fsync {
        file.sync_all()?;
    }
    drop(file);
    back.clear();
    File::open(path)?.read_to_end(back)?;
    fs::remove_file(path)
}

impl Workload for Files {
    fn name(&self) -> &'static str {
        self.name
    }
    fn kind(&self) -> Kind {
        Kind::Io
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn run(&self, items: Range<u64>, cx: &Context) -> u64 {
        let (mut data, mut back) = (
            Vec::with_capacity(FILE_BYTES),
            Vec::with_capacity(FILE_BYTES),
        );
        let mut sum = 0u64;
        for i in items {
            // Making the data and hashing it is computation (it holds the
            // GIL); only the file system calls wait.
            fill(i, &mut data);
            let path = self.dir.join(format!("item-{i}"));
            cx.blocking(|| write_read_remove(&path, &data, self.fsync, &mut back))
                .unwrap_or_else(|e| panic!("{}", self.failed(&path, &e)));
            sum = sum.wrapping_add(fnv1a_words(&back));
        }
        sum
    }
    fn run_async(&self, items: Range<u64>) -> Option<ChunkFuture<'_>> {
        Some(Box::pin(async move {
            let (mut data, mut back) = (
                Vec::with_capacity(FILE_BYTES),
                Vec::with_capacity(FILE_BYTES),
            );
            let mut sum = 0u64;
            for i in items {
                fill(i, &mut data);
                let path = self.dir.join(format!("item-{i}"));
                let fsync = self.fsync;
                // The buffers go to the blocking thread and come back.
                let hop = tokio::task::spawn_blocking(move || {
                    let done = write_read_remove(&path, &data, fsync, &mut back);
                    (done.map_err(|e| (e, path)), data, back)
                });
                let (done, d, b) = hop.await.unwrap_or_else(|e| {
                    panic!(
                        "`{}`: the blocking thread of item {i} failed: {e}",
                        self.name
                    )
                });
                (data, back) = (d, b);
                if let Err((e, path)) = done {
                    panic!("{}", self.failed(&path, &e));
                }
                sum = sum.wrapping_add(fnv1a_words(&back));
            }
            sum
        }))
    }
    fn per_chunk(&self) -> Resources {
        // One file open at a time.
        Resources {
            fds: 1,
            threads: 0,
            processes: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_wrote_and_removes_it() {
        let fixture = Job::new("files").unwrap().with_size(3).setup().unwrap();
        let files = Files::from_job(&fixture.job, "files", false).unwrap();
        let got = files.run(0..3, &Context::free());
        let want = (0..3).map(expected_hash).fold(0u64, u64::wrapping_add);
        assert_eq!(got, want);
        assert_eq!(fs::read_dir(&files.dir).unwrap().count(), 0);
        drop(fixture);
        assert!(!files.dir.exists(), "the fixture removes its dir");
    }

    #[test]
    fn a_job_without_its_fixture_is_an_error_that_says_so() {
        let err = Job::new("files")
            .unwrap()
            .build()
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("Job::setup"), "{err}");
    }

    #[test]
    fn fnv1a_of_nothing_is_the_offset_basis() {
        assert_eq!(fnv1a_words(&[]), 0xCBF2_9CE4_8422_2325);
    }
}
