//! `spin:variables/variables@3.0.0`: a component reads only the variables its
//! manifest entry declares.

use crate::bindings::spin::variables::variables::{self, Error};
use crate::state::RequestState;
use crate::variables::is_valid_name;
use wasmtime::component::{Accessor, HasSelf};

impl variables::Host for RequestState {}

impl<T> variables::HostWithStore<T> for HasSelf<RequestState> {
    async fn get(
        accessor: &Accessor<T, Self>,
        name: String,
    ) -> wasmtime::Result<Result<String, Error>> {
        if !is_valid_name(&name) {
            return Ok(Err(Error::InvalidName(name)));
        }
        let value = accessor.with(|mut access| access.get().grants.variables.get(&name).cloned());
        Ok(value.ok_or(Error::Undefined(name)))
    }
}
