//! The worker's decisions: a pure function of its mode and one event, so the
//! whole restart policy is tested without a single process.

/// What the worker is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The service runs.
    Running,
    /// The service exited; the worker waits for a deadline to start it again.
    Waiting,
    /// The stop signal was sent; the worker waits for the process group to end.
    Stopping { then: Then, killed: bool },
}

/// What follows a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    Exit,
    Restart,
}

/// Something that happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The service's main process ended with `status` after `ran_ms`.
    Exited { status: i32, ran_ms: u64 },
    /// Nothing is left of the service's process group (sent while stopping).
    GroupGone,
    /// `reraise stop`: SIGTERM, SIGINT or SIGQUIT to the worker.
    Stop,
    /// `reraise restart`: SIGHUP to the worker.
    Restart,
    /// The pending deadline passed.
    Deadline,
}

/// What the worker does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Start the service now.
    Start,
    /// Record `STOP status`, then start again after `delay` seconds (0: now).
    Respawn {
        status: i32,
        delay: u32,
    },
    /// Record `ERROR status` and exit.
    Fail {
        status: i32,
    },
    /// Send the stop signal to the group; the deadline is `stop_sec`.
    Signal,
    /// Send SIGKILL to the group.
    Kill,
    /// Remove the state file and exit.
    Finish,
}

/// The settings that the policy needs, as read before the current start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub start_sec: u32,
    pub max_retry: u32,
}

/// The worker's memory between events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub mode: Mode,
    /// Whether some run lasted at least `start_sec`.
    started_well: bool,
    /// Quick failures retried since the last good run.
    retries: u32,
}

impl Policy {
    /// The policy of a worker that has just started its service.
    pub fn new() -> Policy {
        Policy {
            mode: Mode::Running,
            started_well: false,
            retries: 0,
        }
    }

    pub fn step(&mut self, event: Event, limits: Limits) -> Action {
        match (self.mode, event) {
            (Mode::Running, Event::Exited { status, ran_ms }) => {
                self.exited(status, ran_ms, limits)
            }
            (Mode::Running, Event::Stop) => self.stop(Then::Exit),
            (Mode::Running, Event::Restart) => self.stop(Then::Restart),
            (Mode::Waiting, Event::Deadline | Event::Restart) => {
                self.mode = Mode::Running;
                Action::Start
            }
            (Mode::Waiting, Event::Stop) => Action::Finish,
            (Mode::Stopping { then, .. }, Event::GroupGone) => match then {
                Then::Exit => Action::Finish,
                Then::Restart => {
                    self.mode = Mode::Running;
                    Action::Start
                }
            },
            (
                Mode::Stopping {
                    then,
                    killed: false,
                },
                Event::Deadline,
            ) => {
                self.mode = Mode::Stopping { then, killed: true };
                Action::Kill
            }
            (Mode::Stopping { killed, .. }, Event::Stop) => {
                self.mode = Mode::Stopping {
                    then: Then::Exit,
                    killed,
                };
                Action::Nothing
            }
            // Stale deadlines, a restart while stopping, the main process
            // ending before the rest of its group: nothing to decide yet.
            _ => Action::Nothing,
        }
    }

    fn stop(&mut self, then: Then) -> Action {
        self.mode = Mode::Stopping {
            then,
            killed: false,
        };
        Action::Signal
    }

    fn exited(&mut self, status: i32, ran_ms: u64, limits: Limits) -> Action {
        if ran_ms >= u64::from(limits.start_sec) * 1000 {
            self.started_well = true;
            self.retries = 0;
            return Action::Respawn { status, delay: 0 };
        }
        if self.started_well && self.retries < limits.max_retry {
            let delay = 2 * self.retries;
            self.retries += 1;
            self.mode = if delay == 0 {
                Mode::Running
            } else {
                Mode::Waiting
            };
            return Action::Respawn { status, delay };
        }
        Action::Fail { status }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        start_sec: 10,
        max_retry: 2,
    };

    fn exit(status: i32, secs: u64) -> Event {
        Event::Exited {
            status,
            ran_ms: secs * 1000,
        }
    }

    #[test]
    fn a_quick_first_exit_is_an_error_even_with_status_zero() {
        let mut p = Policy::new();
        assert_eq!(p.step(exit(0, 1), LIMITS), Action::Fail { status: 0 });
        let mut p = Policy::new();
        assert_eq!(p.step(exit(3, 9), LIMITS), Action::Fail { status: 3 });
    }

    #[test]
    fn a_long_run_restarts_at_once_and_resets_retries() {
        let mut p = Policy::new();
        assert_eq!(
            p.step(exit(1, 10), LIMITS),
            Action::Respawn {
                status: 1,
                delay: 0
            }
        );
        assert_eq!(p.mode, Mode::Running);
        assert_eq!(
            p.step(exit(1, 1), LIMITS),
            Action::Respawn {
                status: 1,
                delay: 0
            }
        );
        assert_eq!(
            p.step(exit(1, 1), LIMITS),
            Action::Respawn {
                status: 1,
                delay: 2
            }
        );
        assert_eq!(p.mode, Mode::Waiting);
        assert_eq!(p.step(Event::Deadline, LIMITS), Action::Start);
        // A good run in between resets the count.
        assert_eq!(
            p.step(exit(0, 60), LIMITS),
            Action::Respawn {
                status: 0,
                delay: 0
            }
        );
        assert_eq!(
            p.step(exit(2, 0), LIMITS),
            Action::Respawn {
                status: 2,
                delay: 0
            }
        );
        assert_eq!(
            p.step(exit(2, 0), LIMITS),
            Action::Respawn {
                status: 2,
                delay: 2
            }
        );
        p.step(Event::Deadline, LIMITS);
        assert_eq!(p.step(exit(2, 0), LIMITS), Action::Fail { status: 2 });
    }

    #[test]
    fn max_retry_zero_fails_at_the_first_quick_exit() {
        let limits = Limits {
            start_sec: 1,
            max_retry: 0,
        };
        let mut p = Policy::new();
        p.step(exit(0, 5), limits);
        assert_eq!(p.step(exit(0, 0), limits), Action::Fail { status: 0 });
    }

    #[test]
    fn stop_signals_then_kills_then_finishes() {
        let mut p = Policy::new();
        assert_eq!(p.step(Event::Stop, LIMITS), Action::Signal);
        // The main process ending is not the end: its group may live on.
        assert_eq!(p.step(exit(143, 0), LIMITS), Action::Nothing);
        assert_eq!(p.step(Event::Deadline, LIMITS), Action::Kill);
        assert_eq!(p.step(Event::Deadline, LIMITS), Action::Nothing);
        assert_eq!(p.step(Event::GroupGone, LIMITS), Action::Finish);
    }

    #[test]
    fn a_restart_is_never_a_failure() {
        let mut p = Policy::new();
        assert_eq!(p.step(Event::Restart, LIMITS), Action::Signal);
        assert_eq!(p.step(exit(143, 0), LIMITS), Action::Nothing);
        assert_eq!(p.step(Event::GroupGone, LIMITS), Action::Start);
        assert_eq!(p.mode, Mode::Running);
        // Still a first start as far as failures go: nothing ran well yet.
        assert_eq!(p.step(exit(1, 0), LIMITS), Action::Fail { status: 1 });
    }

    #[test]
    fn stop_wins_over_a_pending_restart() {
        let mut p = Policy::new();
        p.step(Event::Restart, LIMITS);
        assert_eq!(p.step(Event::Stop, LIMITS), Action::Nothing);
        assert_eq!(p.step(Event::GroupGone, LIMITS), Action::Finish);
    }

    #[test]
    fn waiting_answers_stop_and_restart_at_once() {
        let mut p = Policy::new();
        p.step(exit(0, 10), LIMITS);
        p.step(exit(1, 0), LIMITS);
        p.step(exit(1, 0), LIMITS);
        assert_eq!(p.mode, Mode::Waiting);
        let mut q = p;
        assert_eq!(p.step(Event::Stop, LIMITS), Action::Finish);
        assert_eq!(q.step(Event::Restart, LIMITS), Action::Start);
    }

    #[test]
    fn stale_events_do_nothing() {
        let mut p = Policy::new();
        assert_eq!(p.step(Event::Deadline, LIMITS), Action::Nothing);
        assert_eq!(p.step(Event::GroupGone, LIMITS), Action::Nothing);
    }
}
