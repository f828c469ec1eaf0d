"""Private: protobuf and gRPC stubs generated from proto/leadboard/v1 at build time.

Nothing in this package is part of the public API; import the types you need
from :mod:`leadboard` instead.
"""
