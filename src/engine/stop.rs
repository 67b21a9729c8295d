//! How Ctrl-C and SIGTERM reach the requests of a run: a [`Stop`] every request
//! task holds, and the signal that sets it.

/// Resolves once the run is interrupted; never, for requests outside a run.
#[derive(Debug, Clone)]
pub struct Stop(pub(super) Option<tokio::sync::watch::Receiver<bool>>);

impl Stop {
    /// A stop that never comes (single reads, checks).
    pub fn never() -> Stop {
        Stop(None)
    }

    /// Waits for the interruption.
    pub async fn wait(&self) {
        if let Some(rx) = &self.0 {
            let mut rx = rx.clone();
            if rx.wait_for(|stopped| *stopped).await.is_ok() {
                return;
            }
        }
        std::future::pending::<()>().await;
    }
}

/// Resolves on the first Ctrl-C or SIGTERM.
pub(super) fn interrupt_signal() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
{
    Box::pin(async {
        #[cfg(unix)]
        {
            let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
            match term {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    })
}
