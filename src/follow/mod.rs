//! `tail -F` on a file: the follower of one file for one client, and the shared watchers
//! that poll each followed path once and wake its followers.

mod follower;
pub mod watch;

pub use follower::{FollowError, Follower, Poll};
