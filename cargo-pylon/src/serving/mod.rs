//! Serving a WSGI application over wasi:http: the application's pre-initialized
//! component (`snapshot`), and pylon's own server for it (`server`). The same snapshot,
//! encoded for the wasi:http/proxy world, runs on any wasi:http host (`serve --emit`).

pub mod cli_stub;
pub mod locks_stub;
pub mod server;
pub mod snapshot;
