"""The privacy desk's web console under `/console`: server-rendered pages over the same
services as the API, signed in with OpenID Connect (or, in development, the development
secret)."""
