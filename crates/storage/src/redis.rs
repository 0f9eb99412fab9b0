//! Redis connections shared by the steps of one request, and a time limit
//! for Redis calls.
//!
//! Spin opens a new TCP connection for every `Connection::open`. In the
//! test host, opening one took 0.2 ms, more than the rate limiter's script. An instance serves one
//! request, so the rate limiter and the event publisher of a request reuse
//! one connection per address through [`shared_connection`].

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use spin_sdk::redis::{Connection, Error};

thread_local! {
    /// Open connections by address. Components run on one thread, and the
    /// list is dropped with the instance at the end of the request.
    static CONNECTIONS: RefCell<Vec<(String, Rc<Connection>)>> = const { RefCell::new(Vec::new()) };
}

/// Returns this request's connection to `address`, opening it on first use.
///
/// A caller whose command fails or times out calls [`discard_connection`],
/// so that the next command does not read a reply meant for the failed one.
pub async fn shared_connection(address: &str) -> Result<Rc<Connection>, Error> {
    if let Some(connection) = cached(address) {
        return Ok(connection);
    }
    let connection = Rc::new(Connection::open(address).await?);
    CONNECTIONS.with_borrow_mut(|connections| {
        connections.push((address.to_owned(), Rc::clone(&connection)));
    });
    Ok(connection)
}

/// Forgets this request's connection to `address`. The next
/// [`shared_connection`] call opens a new one.
pub fn discard_connection(address: &str) {
    CONNECTIONS.with_borrow_mut(|connections| {
        connections.retain(|(open_address, _)| open_address != address);
    });
}

fn cached(address: &str) -> Option<Rc<Connection>> {
    CONNECTIONS.with_borrow(|connections| {
        connections
            .iter()
            .find(|(open_address, _)| open_address == address)
            .map(|(_, connection)| Rc::clone(connection))
    })
}

/// Runs `future` until it finishes or `limit` passes, whichever is first.
/// On timeout it returns `None`, and dropping `future` cancels its pending
/// host call.
pub async fn with_timeout<F: Future>(future: F, limit: Duration) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut timer = pin!(spin_sdk::time::sleep(limit));
    poll_fn(|context| {
        if let Poll::Ready(output) = future.as_mut().poll(context) {
            return Poll::Ready(Some(output));
        }
        timer.as_mut().poll(context).map(|()| None)
    })
    .await
}
