//! What does not change while a process lives: its resource attributes (spec/metrics.md
//! §2.2), read once per `(pid, starttime)` when the process is first reported.
//!
//! Reads: `<root>/proc/<pid>/exe` (a link; EACCES for another user's process unless we have
//! CAP_SYS_PTRACE, ENOENT for a zombie), `cmdline` (NUL-separated, world-readable), `status`
//! (`Uid:`), and `<root>/etc/passwd` (the host's users, not the container's; re-read when a
//! UID is missing, at most once per tick).
//! Emits: `Identity`: executable name and path, command, command line, owner.
//! Input: `exe` → `/usr/bin/python3.11 (deleted)` (the suffix is stripped: an upgraded
//! binary keeps its identity); `cmdline` → `python3\0-m\0http.server\0`; passwd lines
//! `daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin`.

use super::stat::{PidStatus, command_line};
use super::walk::set_pid_file;
use crate::source::{ReadError, Source};
use std::path::{Path, PathBuf};

/// Longest `process.command_line`, in bytes (the cut; upstream has none).
pub const COMMAND_LINE_LIMIT: usize = 4096;

/// Bytes of a command name the kernel keeps (TASK_COMM_LEN − 1): a name this long may
/// have been cut.
const COMM_LIMIT: usize = 15;

/// A process's resource attributes, in one allocation (one is kept per reported process:
/// five strings and a map entry of 144 bytes were ~500 bytes each): executable name and
/// path, command, command line and owner one after the other in `text`, each ending at its
/// `ends`, present or not by its bit of `present`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    text: Box<str>,
    ends: [u32; 5],
    present: u8,
}

impl Identity {
    pub fn new(
        name: &str,
        path: Option<&str>,
        command: Option<&str>,
        command_line: Option<&str>,
        owner: Option<&str>,
    ) -> Identity {
        let parts = [Some(name), path, command, command_line, owner];
        let mut text = String::with_capacity(parts.iter().flatten().map(|p| p.len()).sum());
        let mut identity = Identity::default();
        for (i, part) in parts.into_iter().enumerate() {
            if let Some(part) = part {
                text.push_str(part);
                identity.present |= 1 << i;
            }
            if let Some(end) = identity.ends.get_mut(i) {
                // At most COMMAND_LINE_LIMIT + a path, names and an owner: far below 4 GiB.
                *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
            }
        }
        identity.text = text.into_boxed_str();
        identity
    }

    /// Part `i` of `text`, when present.
    fn part(&self, i: usize) -> Option<&str> {
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = i
            .checked_sub(1)
            .and_then(|before| self.ends.get(before))
            .map_or(0, |end| *end as usize);
        let end = *self.ends.get(i)? as usize;
        self.text.get(start..end)
    }

    pub fn name(&self) -> &str {
        self.part(0).unwrap_or_default()
    }

    pub fn path(&self) -> Option<&str> {
        self.part(1)
    }

    pub fn command(&self) -> Option<&str> {
        self.part(2)
    }

    pub fn command_line(&self) -> Option<&str> {
        self.part(3)
    }

    pub fn owner(&self) -> Option<&str> {
        self.part(4)
    }
}

/// Why an identity is incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Everything readable was read.
    Complete,
    /// `exe` was denied (another user's process): no path.
    ExeDenied,
    /// The process ended while it was read.
    Gone,
}

/// The target of `<pid>/exe` without the ` (deleted)` of a replaced binary.
pub fn executable_path(link: &[u8]) -> String {
    let link = link.strip_suffix(b" (deleted)").unwrap_or(link);
    String::from_utf8_lossy(link).into_owned()
}

/// `process.executable.name`: the command name, or, when it has the 15 bytes the kernel
/// keeps and the executable's file name starts with them, that file name (`systemd-journal`
/// → `systemd-journald`). A name set with prctl that is not the executable's stays as is.
pub fn executable_name(comm: &[u8], path: Option<&str>) -> String {
    let base = path.and_then(|p| p.rsplit('/').next());
    match base {
        Some(base) if comm.len() == COMM_LIMIT && base.as_bytes().starts_with(comm) => {
            base.to_string()
        }
        _ => String::from_utf8_lossy(comm).into_owned(),
    }
}

/// `(uid, name)` of each well-formed passwd line.
pub fn parse_passwd(text: &str) -> impl Iterator<Item = (u32, &str)> {
    text.lines().filter_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next().filter(|n| !n.is_empty())?;
        let uid = fields.nth(1)?.parse().ok()?;
        Some((uid, name))
    })
}

/// The user table of `<root>/etc/passwd`.
#[derive(Debug)]
pub struct Passwd {
    path: PathBuf,
    users: Vec<(u32, String)>,
    /// The cycle it was last read in (0: never).
    read_in: u64,
}

impl Passwd {
    pub fn new(src: &Source) -> Passwd {
        Passwd {
            path: src.path("etc/passwd"),
            users: Vec::new(),
            read_in: 0,
        }
    }

    /// The user name of `uid`, else its number (spec/metrics.md §2.2). An unknown UID
    /// re-reads the file once per cycle (a user added since).
    pub fn owner(&mut self, src: &Source, uid: u32, cycle: u64) -> String {
        if !self.users.iter().any(|(u, _)| *u == uid) && self.read_in != cycle {
            self.read_in = cycle;
            self.users.clear();
            let mut text = String::new();
            // No passwd (a minimal container root): every owner is a number.
            if src.read_into(&self.path, &mut text).is_ok() {
                self.users
                    .extend(parse_passwd(&text).map(|(u, n)| (u, n.to_string())));
            }
        }
        match self.users.iter().find(|(u, _)| *u == uid) {
            Some((_, name)) => name.clone(),
            None => uid.to_string(),
        }
    }
}

/// Reads identities, with buffers kept between processes.
#[derive(Debug)]
pub struct Reader {
    pub passwd: Passwd,
    path: PathBuf,
    buf: Vec<u8>,
}

impl Reader {
    pub fn new(src: &Source) -> Reader {
        Reader {
            passwd: Passwd::new(src),
            path: PathBuf::new(),
            buf: Vec::new(),
        }
    }

    /// `readlink <pid>/exe`: `Ok(None)` when there is none (a zombie, a kernel thread),
    /// `Err(Denied)` for another user's process.
    pub fn exe(
        &mut self,
        src: &Source,
        proc_dir: &Path,
        pid: &[u8],
    ) -> Result<Option<String>, ReadError> {
        set_pid_file(&mut self.path, proc_dir, pid, "exe");
        match src.read_link(&self.path) {
            Ok(link) => Ok(Some(executable_path(&link))),
            Err(ReadError::Denied) => Err(ReadError::Denied),
            Err(_) => Ok(None),
        }
    }

    /// The identity of process `pid` whose command name is `comm`. `status` and `cmdline`
    /// are read before anything is allocated, so a process that ended costs nothing.
    pub fn load(
        &mut self,
        src: &Source,
        proc_dir: &Path,
        pid: &[u8],
        comm: &[u8],
        cycle: u64,
    ) -> (Identity, Lookup) {
        set_pid_file(&mut self.path, proc_dir, pid, "status");
        let uid = match src.read_bytes_into(&self.path, &mut self.buf) {
            Ok(()) => PidStatus::parse(&self.buf).uid,
            Err(ReadError::Denied) => None,
            Err(_) => return (Identity::default(), Lookup::Gone),
        };
        set_pid_file(&mut self.path, proc_dir, pid, "cmdline");
        match src.read_head_into(&self.path, &mut self.buf, COMMAND_LINE_LIMIT) {
            Ok(()) => {}
            Err(ReadError::Denied) => self.buf.clear(),
            Err(_) => return (Identity::default(), Lookup::Gone),
        }
        let (command, command_line) = command_line(&self.buf, COMMAND_LINE_LIMIT).unzip();
        let mut lookup = Lookup::Complete;
        let path = self.exe(src, proc_dir, pid).unwrap_or_else(|_| {
            lookup = Lookup::ExeDenied;
            None
        });
        let owner = uid.map(|uid| self.passwd.owner(src, uid, cycle));
        let identity = Identity::new(
            &executable_name(comm, path.as_deref()),
            path.as_deref(),
            command.as_deref(),
            command_line.as_deref(),
            owner.as_deref(),
        );
        (identity, lookup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_binaries_keep_their_path() {
        assert_eq!(
            executable_path(b"/usr/bin/python3.11 (deleted)"),
            "/usr/bin/python3.11"
        );
        assert_eq!(executable_path(b"/opt/my app/run"), "/opt/my app/run");
        assert_eq!(executable_path(b"/x/\xff"), "/x/\u{fffd}");
    }

    #[test]
    fn fifteen_byte_names_take_the_executable_file_name() {
        let journal = Some("/usr/lib/systemd/systemd-journald");
        assert_eq!(
            executable_name(b"systemd-journal", journal),
            "systemd-journald"
        );
        assert_eq!(executable_name(b"systemd-journal", None), "systemd-journal");
        // Not cut: the command name, whatever the executable.
        assert_eq!(
            executable_name(b"sleep", Some("/usr/bin/coreutils")),
            "sleep"
        );
        // Fifteen bytes set with prctl, not the executable's name.
        assert_eq!(
            executable_name(b"worker-pool-007", Some("/usr/bin/python3.11")),
            "worker-pool-007"
        );
        assert_eq!(executable_name(b"\xff\xfe", None), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn an_identity_gives_back_its_parts_absent_or_empty() {
        let id = Identity::new(
            "python3",
            Some("/usr/bin/python3.11"),
            Some("python3"),
            Some("python3 -m http.server"),
            Some("www-data"),
        );
        assert_eq!(id.name(), "python3");
        assert_eq!(id.path(), Some("/usr/bin/python3.11"));
        assert_eq!(id.command(), Some("python3"));
        assert_eq!(id.command_line(), Some("python3 -m http.server"));
        assert_eq!(id.owner(), Some("www-data"));
        // A zombie: no path and no command line; an empty command is still one.
        let id = Identity::new("z", None, Some(""), None, Some("root"));
        assert_eq!(
            (
                id.name(),
                id.path(),
                id.command(),
                id.command_line(),
                id.owner()
            ),
            ("z", None, Some(""), None, Some("root"))
        );
        assert_eq!(Identity::default().name(), "");
        assert_eq!(Identity::default().owner(), None);
    }

    #[test]
    fn passwd_lines_give_uid_and_name() {
        let text = "root:x:0:0:root:/root:/bin/bash\n# comment\nbad line\n:x:5:5::/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nodd:x:-1:0::/:\n";
        let users: Vec<(u32, &str)> = parse_passwd(text).collect();
        assert_eq!(users, [(0, "root"), (65534, "nobody")]);
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant(
            "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/bin/sh\n",
            |text| {
                let _ = parse_passwd(text).count();
                let _ = executable_name(text.as_bytes(), Some(text));
                let _ = executable_path(text.as_bytes());
            },
        );
    }
}
