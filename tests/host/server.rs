//! A loopback HTTP/1.1 listener in front of an [`App`], for black-box clients.

use crate::app::App;
use bytes::Bytes;
use futures::stream;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Largest request body the listener reads; Spin itself sets no limit.
pub const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// How long a client may take to send its request headers, and then its body.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

type OneChunk = stream::Once<std::future::Ready<Result<Frame<Bytes>, Infallible>>>;
type ResponseBody = Either<Full<Bytes>, StreamBody<OneChunk>>;

/// Accepts connections until the task is dropped, serving each on its own task.
pub async fn serve(app: Arc<App>, listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (stream, client) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let app = Arc::clone(&app);
                async move { Ok::<_, Infallible>(respond(&app, request, client).await) }
            });
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(error) = served
                && !error.is_incomplete_message()
            {
                eprintln!("test-host: connection from {client} failed: {error}");
            }
        });
    }
}

async fn respond(
    app: &App,
    request: Request<Incoming>,
    client: std::net::SocketAddr,
) -> Response<ResponseBody> {
    let (parts, body) = request.into_parts();
    let collected =
        tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_REQUEST_BODY).collect()).await;
    let body = match collected {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return bare(StatusCode::PAYLOAD_TOO_LARGE);
        }
        Ok(Err(_)) => return bare(StatusCode::BAD_REQUEST),
        Err(_) => return bare(StatusCode::REQUEST_TIMEOUT),
    };
    let response = app.handle(Request::from_parts(parts, body), client).await;
    into_wire(response)
}

fn bare(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::new())));
    *response.status_mut() = status;
    response
}

/// Keeps the component's framing: a response without `Content-Length` goes
/// out chunked, as Spin streams it, instead of gaining a length here.
fn into_wire(response: Response<Bytes>) -> Response<ResponseBody> {
    let has_length = response
        .headers()
        .contains_key(http::header::CONTENT_LENGTH);
    response.map(|body| {
        if has_length {
            Either::Left(Full::new(body))
        } else {
            Either::Right(StreamBody::new(stream::once(std::future::ready(Ok(
                Frame::data(body),
            )))))
        }
    })
}
