//! The engine on a thread of its own behind bounded channels, for the service: reader
//! tasks send batches of reads, the engine sends batches of facts. A full channel makes the
//! sender wait (backpressure), so a slow consumer of facts slows the readers' intake
//! instead of growing memory. One engine thread outruns the readers of a whole site (see
//! BENCHMARKS.md), so facts stay in one deterministic order.

use std::thread::JoinHandle;

use depot_readers::TagRead;
use tokio::sync::mpsc;

use super::fact::Fact;
use super::inventory::Engine;

/// What the engine thread is asked to do.
pub enum Input {
    /// Reads in the order the readers delivered them.
    Reads(Vec<TagRead>),
    /// Time has moved on without reads (µs since the Unix epoch), e.g. from a reader's
    /// keep-alive: fire the timeouts due before it.
    AdvanceTo(u64),
    /// Run something against the engine between two inputs: a zone's contents, a cycle
    /// report, the counters.
    With(Box<dyn FnOnce(&mut Engine) + Send>),
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Reads(r) => write!(f, "Reads({})", r.len()),
            Input::AdvanceTo(t) => write!(f, "AdvanceTo({t})"),
            Input::With(_) => f.write_str("With(..)"),
        }
    }
}

/// The running engine: send [`Input`]s on `input`, receive facts on `facts`.
#[derive(Debug)]
pub struct Running {
    pub input: mpsc::Sender<Input>,
    pub facts: mpsc::Receiver<Vec<Fact>>,
    thread: JoinHandle<Engine>,
}

/// How the engine's thread ends when its input closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// [`Engine::flush`]: every tag leaves (the end of a trace).
    Flush,
    /// [`Engine::close`]: gate tracks judged, tags left where they are (a service stopping
    /// or reloading).
    Close,
}

/// Start `engine` on its own thread with channels holding at most `capacity` messages
/// each way; it flushes when its input closes.
pub fn spawn(engine: Engine, capacity: usize) -> std::io::Result<Running> {
    spawn_ending(engine, capacity, End::Flush)
}

/// [`spawn`], ending as `end` says.
pub fn spawn_ending(engine: Engine, capacity: usize, end: End) -> std::io::Result<Running> {
    let (input, mut inbox) = mpsc::channel::<Input>(capacity.max(1));
    let (outbox, facts) = mpsc::channel::<Vec<Fact>>(capacity.max(1));
    let thread = std::thread::Builder::new()
        .name("depot-engine".into())
        .spawn(move || {
            let mut engine = engine;
            let mut out = Vec::new();
            while let Some(msg) = inbox.blocking_recv() {
                match msg {
                    Input::Reads(reads) => reads.iter().for_each(|r| engine.ingest(r, &mut out)),
                    Input::AdvanceTo(t) => engine.advance_to(t, &mut out),
                    Input::With(f) => f(&mut engine),
                }
                if !out.is_empty() && outbox.blocking_send(std::mem::take(&mut out)).is_err() {
                    break; // nobody listens for facts any more
                }
            }
            match end {
                End::Flush => engine.flush(&mut out),
                End::Close => engine.close(&mut out),
            }
            if !out.is_empty() {
                let _ = outbox.blocking_send(out);
            }
            engine
        })?;
    Ok(Running {
        input,
        facts,
        thread,
    })
}

impl Running {
    /// Stop taking input, flush the engine (every tag leaves, every gate track is judged),
    /// and return the facts not yet received and the engine.
    pub async fn finish(self) -> (Vec<Fact>, Engine) {
        let Running {
            input,
            mut facts,
            thread,
        } = self;
        drop(input);
        let mut rest = Vec::new();
        while let Some(batch) = facts.recv().await {
            rest.extend(batch);
        }
        let engine = tokio::task::spawn_blocking(move || {
            thread.join().expect("the engine thread does not panic")
        })
        .await
        .expect("joining the engine thread");
        (rest, engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::synth::{synthesize, Options, Scenario};

    #[tokio::test]
    async fn the_running_engine_gives_the_facts_of_a_direct_one_under_backpressure() {
        let s = synthesize(&Options::new(Scenario::GateOut, 30, 9));
        let mut direct = Engine::new(s.config.engine.clone()).unwrap();
        let mut expected = Vec::new();
        s.reads.iter().for_each(|r| direct.ingest(r, &mut expected));
        direct.flush(&mut expected);

        // Channels of one message: the producer can only run ahead by one batch.
        let running = spawn(Engine::new(s.config.engine.clone()).unwrap(), 1).unwrap();
        let input = running.input.clone();
        let reads = s.reads.clone();
        let producer = tokio::spawn(async move {
            for chunk in reads.chunks(64) {
                input.send(Input::Reads(chunk.to_vec())).await.unwrap();
            }
            let (tx, rx) = tokio::sync::oneshot::channel();
            input
                .send(Input::With(Box::new(move |e: &mut Engine| {
                    tx.send(e.counters()).unwrap()
                })))
                .await
                .unwrap();
            rx.await.unwrap()
        });
        let mut running = running;
        let mut producer = producer;
        let mut got = Vec::new();
        // Take facts while the producer runs, or both wait on each other's full channel.
        let counters = loop {
            tokio::select! {
                batch = running.facts.recv() => got.extend(batch.expect("the engine runs until finished")),
                counters = &mut producer => break counters.unwrap(),
            }
        };
        assert_eq!(counters.reads, s.reads.len() as u64);
        let (rest, engine) = running.finish().await;
        got.extend(rest);
        assert_eq!(got, expected);
        assert_eq!(engine.counters().passed, 30);
    }
}
