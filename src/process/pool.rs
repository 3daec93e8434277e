//! A process pool: N long-lived `tvp worker` children fed tasks over pipes,
//! like Python's `multiprocessing.Pool`.
//!
//! - [`Pool::submit`] queues a task; an idle child gets it at once, otherwise
//!   the next child to finish does.
//! - [`Pool::recv`] returns the next finished task.
//! - [`Pool::close`] accepts no more tasks; [`Pool::join`] then lets every
//!   queued task finish, collects the results and waits for the children to
//!   exit (they exit when their stdin closes).
//! - [`Pool::terminate`] kills the children at once, tasks in flight or not.
//! - Dropping a pool terminates it, so no child outlives it.
//!
//! A child that dies, breaks the protocol (a line that is not a reply, or
//! longer than [`MAX_LINE`](crate::process::lines::MAX_LINE)), or runs a
//! task past the task deadline ([`Pool::set_task_deadline`]) marks the pool
//! broken: every child is killed and reaped at once, the tasks are lost, and
//! the error says which child and what happened. Build a new pool to go on.
//! [`Pool::join`] waits for the children to exit within the same deadline.

use std::collections::VecDeque;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::error::{Error, Result};
use crate::process::child::WorkerChild;
use crate::process::deadline::Deadline;
use crate::process::lines::{LineReader, Next};
use crate::process::protocol::Request;
use crate::workloads::Job;

/// Names a submitted task.
pub type TaskId = u64;

/// What a reader thread saw on one child's stdout.
#[derive(Debug)]
enum Event {
    Line(String),
    /// The child's last bytes before end of file, with no newline.
    Truncated(String),
    /// More bytes than a line may hold, with no newline: their start.
    TooLong(String),
    Eof,
    Failed(std::io::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closed,
    Broken,
    Finished,
}

/// N pre-spawned worker processes and a queue of tasks.
#[derive(Debug)]
pub struct Pool {
    children: Vec<WorkerChild>,
    /// The task each child is running, if any, and since when.
    running: Vec<Option<(TaskId, Instant)>>,
    /// How long one task may run before its child is taken to hang.
    task_deadline: Option<Deadline>,
    /// Per child, the time it reported computing since the last
    /// [`Pool::take_busy`].
    busy: Vec<Duration>,
    queue: VecDeque<(TaskId, String)>,
    events: Receiver<(usize, Event)>,
    readers: Vec<JoinHandle<()>>,
    next_id: TaskId,
    state: State,
}

impl Pool {
    /// Spawns `workers` children of `exe worker`. Untimed setup: the spawn
    /// cost is paid once, not per task.
    pub fn new(exe: &Path, workers: usize) -> Result<Pool> {
        if workers == 0 {
            return Err(Error::InvalidJob("a pool needs at least one worker".into()));
        }
        let (tx, events) = crossbeam_channel::unbounded();
        let mut pool = Pool {
            children: Vec::with_capacity(workers),
            running: vec![None; workers],
            busy: vec![Duration::ZERO; workers],
            queue: VecDeque::new(),
            events,
            readers: Vec::with_capacity(workers),
            task_deadline: None,
            next_id: 0,
            state: State::Open,
        };
        for index in 0..workers {
            // On error, dropping `pool` kills the children spawned so far.
            let mut child = WorkerChild::spawn(exe)?;
            let stdout = child.take_stdout().expect("a new child has its stdout");
            let tx: Sender<(usize, Event)> = tx.clone();
            let reader = std::thread::Builder::new()
                .name(format!("tvp-pool-reader-{index}"))
                .spawn(move || read_events(stdout, index, &tx))
                .map_err(|e| {
                    Error::thread_start("the process pool's readers", workers, Some(index), e)
                })?;
            pool.children.push(child);
            pool.readers.push(reader);
        }
        Ok(pool)
    }

    /// Kills a child whose task runs longer than `deadline`; `None` waits
    /// forever. [`Pool::join`] waits this long for the children to exit
    /// ([`Deadline::DEFAULT`] when `None`).
    pub fn set_task_deadline(&mut self, deadline: Option<impl Into<Deadline>>) {
        self.task_deadline = deadline.map(Into::into);
    }

    /// Number of worker processes.
    pub fn workers(&self) -> usize {
        self.children.len()
    }

    /// Process ids of the workers.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(WorkerChild::pid).collect()
    }

    /// Per child, in [`Pool::pids`] order, the time it spent computing the
    /// tasks received since the last call (as each child measured it); the
    /// counts start again from zero.
    pub fn take_busy(&mut self) -> Vec<Duration> {
        let zeros = vec![Duration::ZERO; self.busy.len()];
        std::mem::replace(&mut self.busy, zeros)
    }

    /// Tasks submitted and not yet returned by `recv`.
    pub fn pending(&self) -> usize {
        self.queue.len() + self.running.iter().flatten().count()
    }

    /// Queues a task: run `job` over `items`.
    pub fn submit(&mut self, job: &Job, items: Range<u64>) -> Result<TaskId> {
        match self.state {
            State::Open => {}
            State::Closed => return Err(Error::PoolUnusable("closed: it accepts no new tasks")),
            State::Broken | State::Finished => return Err(self.unusable()),
        }
        let id = self.next_id;
        self.next_id += 1;
        let request = Request {
            job: job.clone(),
            start: items.start,
            end: items.end,
        };
        self.queue.push_back((id, request.to_line()));
        self.dispatch()?;
        Ok(id)
    }

    /// Sends queued tasks to idle children.
    fn dispatch(&mut self) -> Result<()> {
        while let Some(idle) = self.running.iter().position(Option::is_none) {
            let Some((id, line)) = self.queue.pop_front() else {
                return Ok(());
            };
            self.running[idle] = Some((id, Instant::now()));
            if let Err(e) = self.children[idle].send_line(&line) {
                self.break_down();
                return Err(e);
            }
        }
        Ok(())
    }

    /// Waits for the next finished task.
    pub fn recv(&mut self) -> Result<(TaskId, u64)> {
        self.recv_deadline(None)
    }

    /// Waits at most `timeout` for the next finished task. A worker that
    /// takes longer is taken to hang: the pool is broken.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<(TaskId, u64)> {
        self.recv_deadline(Some(Instant::now() + timeout))
    }

    fn recv_deadline(&mut self, wait: Option<Instant>) -> Result<(TaskId, u64)> {
        if matches!(self.state, State::Broken | State::Finished) {
            return Err(self.unusable());
        }
        if self.pending() == 0 {
            return Err(Error::InvalidJob(
                "recv() on a pool with no pending tasks".into(),
            ));
        }
        // The task running longest reaches the task deadline first.
        let oldest = self
            .running
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|(_, since)| (i, since)))
            .min_by_key(|&(_, since)| since);
        let task_due = self
            .task_deadline
            .zip(oldest)
            .map(|(limit, (i, since))| (i, since + limit.limit, limit));
        let deadline = match (wait, task_due) {
            (Some(w), Some((_, t, _))) => Some(w.min(t)),
            (w, t) => w.or(t.map(|(_, t, _)| t)),
        };
        let got = match deadline {
            None => self
                .events
                .recv()
                .map_err(|_| RecvTimeoutError::Disconnected),
            Some(d) => self.events.recv_deadline(d),
        };
        let result = match got {
            Ok((index, event)) => self.on_event(index, event),
            Err(RecvTimeoutError::Timeout) => Err(match task_due {
                Some((i, due, limit)) if Instant::now() >= due => self.children[i].died(
                    "hung past the deadline",
                    format!("its task ran past the task deadline of {limit}, so it was killed"),
                ),
                _ => {
                    let busy = oldest.map_or(0, |(i, _)| i);
                    self.children[busy].died(
                        "hung past the deadline",
                        "no reply within the recv timeout, so it was killed".into(),
                    )
                }
            }),
            Err(RecvTimeoutError::Disconnected) => {
                Err(Error::PoolUnusable("broken: all readers gone"))
            }
        };
        match result.and_then(|done| self.dispatch().map(|()| done)) {
            Ok(done) => Ok(done),
            Err(e) => {
                self.break_down();
                Err(e)
            }
        }
    }

    /// What one child's reader saw: a finished task or a failure.
    fn on_event(&mut self, index: usize, event: Event) -> Result<(TaskId, u64)> {
        let child = &mut self.children[index];
        match event {
            Event::Line(line) => match (self.running[index].take(), child.parse_reply(&line)) {
                (Some((task, _)), Ok(sum)) => {
                    self.busy[index] += child.last_busy().unwrap_or_default();
                    Ok((task, sum))
                }
                (None, _) => Err(child.died(
                    "protocol error",
                    format!("it sent a reply with no task running: {line:?}"),
                )),
                (Some(_), Err(e)) => Err(e),
            },
            Event::Truncated(shown) => {
                Err(child.died("sent a truncated line", format!("{shown:?} and no newline")))
            }
            Event::TooLong(shown) => Err(child.too_long(&shown)),
            Event::Eof => Err(child.died("exited early", String::new())),
            Event::Failed(e) => Err(child.died("reply unreadable", e.to_string())),
        }
    }

    /// After a failure: kills and reaps every child now, so none is left
    /// running or unreaped while the broken pool waits to be dropped.
    fn break_down(&mut self) {
        for child in &mut self.children {
            child.kill_and_reap();
        }
        self.queue.clear();
        self.running.iter_mut().for_each(|r| *r = None);
        self.state = State::Broken;
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }

    /// The error for a broken or terminated pool.
    fn unusable(&self) -> Error {
        Error::PoolUnusable(if self.state == State::Broken {
            "broken: a worker failed"
        } else {
            "terminated"
        })
    }

    /// Accepts no new tasks; queued and running tasks still finish in
    /// [`Pool::join`].
    pub fn close(&mut self) {
        if self.state == State::Open {
            self.state = State::Closed;
        }
    }

    /// After [`Pool::close`]: runs every queued task to the end, returns the
    /// results not yet received, and waits for the children to exit.
    pub fn join(&mut self) -> Result<Vec<(TaskId, u64)>> {
        match self.state {
            State::Open => {
                return Err(Error::PoolUnusable(
                    "still open: call close() (or terminate()) before join()",
                ));
            }
            State::Broken => return Err(self.unusable()),
            State::Closed | State::Finished => {}
        }
        let mut results = Vec::new();
        while self.state == State::Closed && self.pending() > 0 {
            results.push(self.recv()?);
        }
        let deadline = self.task_deadline.unwrap_or(Deadline::DEFAULT);
        for child in &mut self.children {
            let status = child.wait_within(deadline)?;
            if !status.success() {
                let message = crate::process::child::describe(status);
                return Err(child.error("bad exit", message));
            }
        }
        self.finish();
        Ok(results)
    }

    /// Kills every child at once (SIGKILL) and reaps it. Tasks in flight are
    /// lost.
    pub fn terminate(&mut self) {
        for child in &mut self.children {
            child.kill_and_reap();
        }
        self.queue.clear();
        self.running.iter_mut().for_each(|r| *r = None);
        self.finish();
    }

    fn finish(&mut self) {
        self.state = State::Finished;
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }

    /// Whether a worker failed, so the pool must be rebuilt.
    pub fn is_broken(&self) -> bool {
        self.state == State::Broken
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if self.state != State::Finished {
            self.terminate();
        }
    }
}

/// A reader thread: turns one child's stdout into events until end of file
/// or a line too long, each line bounded by the protocol's
/// [`MAX_LINE`](crate::process::lines::MAX_LINE).
fn read_events(stdout: impl Read, index: usize, tx: &Sender<(usize, Event)>) {
    let mut lines = LineReader::new(stdout);
    loop {
        let event = match lines.next_line() {
            Ok(Next::Line(line)) => Event::Line(line),
            Ok(Next::Truncated(shown)) => Event::Truncated(shown),
            Ok(Next::TooLong(shown)) => Event::TooLong(shown),
            Ok(Next::Eof) => Event::Eof,
            Err(e) => Event::Failed(e),
        };
        let last = !matches!(event, Event::Line(_));
        if tx.send((index, event)).is_err() || last {
            return;
        }
    }
}
