"""Checks of the toolchain: the flake and its lock, the wheels' shared libraries, the virtualenv's
`sys.path`, the devcontainer and the CI workflow. `python -m ops.workspace --help` lists them."""
