# Reproducible workspace for the Django API template: `nix develop` (or direnv's `use flake`).
#
# Every nixpkgs attribute below was checked against nixpkgs' own sources
# (attribute -> where it is defined; pkgs/top-level/aliases.nix checked for renames/removals):
#   python313        -> pkgs/development/interpreters/python/default.nix
#                       (python313 = callPackage ./cpython), top level via all-packages.nix
#   poetry           -> pkgs/by-name/po/poetry/package.nix
#   just             -> pkgs/by-name/ju/just/package.nix
#   process-compose  -> pkgs/by-name/pr/process-compose/package.nix
#   postgresql_17    -> pkgs/servers/sql/postgresql/default.nix (postgresql_17 = ./17.nix);
#                       aliases.nix only removes postgresql_13*
#   postgresql_17.pg_config -> passthru.pg_config, pkgs/servers/sql/postgresql/generic.nix
#                       (pg_config moved out of the server package into pg_config.nix)
#   libpq            -> pkgs/servers/sql/postgresql/default.nix (libpq = ./libpq.nix),
#                       outputs out + dev, meta.pkgConfigModules = [ "libpq" ]
#   mysql84          -> pkgs/by-name/my/mysql84/package.nix (libmysqlclient, mysqlclient.pc);
#                       aliases.nix: mysql80 = throw "'mysql80' reached end of life ..."
#   redis            -> pkgs/by-name/re/redis/package.nix
#   prometheus       -> pkgs/by-name/pr/prometheus/package.nix
#   grafana          -> pkgs/by-name/gr/grafana/package.nix
#   wrk              -> pkgs/by-name/wr/wrk/package.nix
#   pkg-config       -> pkgs/top-level/all-packages.nix (build-support/pkg-config-wrapper);
#                       the `pkg-config` argument of libpq.nix and mysql84/package.nix
#   nixfmt           -> pkgs/by-name/ni/nixfmt/package.nix; aliases.nix:
#                       nixfmt-rfc-style = warnAlias "... now the same as pkgs.nixfmt ..." nixfmt
#   nginx            -> pkgs/top-level/all-packages.nix (nginx = nginxStable, servers/http/nginx/stable.nix);
#                       the NixOS nginx module's default package
#   util-linux       -> pkgs/by-name/ut/util-linux/package.nix (meta.platforms = unix)
#   shellcheck       -> pkgs/development/tools/shellcheck/default.nix (wraps haskellPackages.ShellCheck)
#   prometheus.cli   -> pkgs/by-name/pr/prometheus/package.nix: outputs [ "out" "doc" "cli" ],
#                       postInstall `moveToOutput bin/promtool $cli` (promtool is not in `out`)
#   actionlint       -> pkgs/by-name/ac/actionlint/package.nix (the workflow check, ops/workspace)
#   chromium         -> all-packages.nix: chromium = callPackage ../applications/networking/browsers/chromium;
#                       browser.nix: meta.platforms = lib.platforms.linux, binary $out/bin/chromium
#   stdenv.cc.cc.lib -> pkgs/development/compilers/gcc/default.nix: outputs [ "out" "man" "info" "lib" ],
#                       the `lib` output holds libstdc++.so.6
#   zlib             -> pkgs/development/libraries/zlib/default.nix (outputs out dev static; libz.so.1 in out)
# Installed by .devcontainer/install-direnv.sh from this flake's nixpkgs (`--inputs-from .`):
#   direnv           -> pkgs/by-name/di/direnv/package.nix
#   nix-direnv       -> pkgs/by-name/ni/nix-direnv/package.nix (share/nix-direnv/direnvrc; meta.platforms = unix)
#   mkShell          -> pkgs/build-support/mkshell via all-packages.nix
{
  description = "Django 5.2 + DRF API template: development shell, formatter and checks";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs =
    { self, nixpkgs }:
    let
      # x86_64-darwin stays while the pin is nixos-26.05, the last release nixpkgs builds for Intel
      # Macs: their shells still come from the binary cache. No CI runner is Intel any more, so it is
      # evaluated (`nix flake check --all-systems`), not run; drop it with the move to a later release.
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (s: f nixpkgs.legacyPackages.${s});
      # Libraries that binary wheels load without bundling them, as nixpkgs attribute paths: one list,
      # read here and by ops/workspace/libraries.py, which fails when a wheel needs one not listed.
      wheelLibraries =
        pkgs:
        let
          inherit (pkgs) lib;
          listed = (builtins.fromJSON (builtins.readFile ./ops/workspace/nix-libraries.json)).provides;
        in
        map (path: lib.getAttrFromPath (lib.splitString "." path) pkgs) (builtins.attrNames listed);
    in
    {
      devShells = forAllSystems (
        pkgs:
        let
          inherit (pkgs) lib stdenv;
        in
        {
          default = pkgs.mkShell {
            packages = [
              pkgs.python313
              pkgs.poetry
              pkgs.just
              pkgs.process-compose
              pkgs.postgresql_17
              pkgs.postgresql_17.pg_config
              pkgs.mysql84
              pkgs.redis
              pkgs.prometheus
              pkgs.prometheus.cli # promtool: the config check and the alert rule tests
              pkgs.grafana
              pkgs.wrk
              pkgs.nginx # the load balancer of `just up-pair`
              pkgs.pkg-config
              pkgs.nixfmt
              pkgs.shellcheck
              # setsid detaches the stack from the shell; setpriv drops root for the services.
              pkgs.util-linux
              pkgs.actionlint
            ]
            # The docs' browser test drives Chromium, which nixpkgs builds for Linux only: on macOS
            # the test uses the Chrome that CHROMIUM_PATH names, or skips saying so.
            ++ lib.optionals stdenv.isLinux [ pkgs.chromium ];

            # C libraries that psycopg (libpq) and mysqlclient (libmysqlclient) build against.
            # As buildInputs, pkg-config's setup hook puts their .pc files on PKG_CONFIG_PATH.
            buildInputs = [
              pkgs.libpq
              pkgs.mysql84
            ];

            shellHook = ''
              # Poetry: keep the virtualenv in ./.venv and build it from this shell's python3.13.
              export POETRY_VIRTUALENVS_IN_PROJECT=true
              export POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON=true
              export POETRY_VIRTUALENVS_USE_POETRY_PYTHON=false
              # mkShell pins SOURCE_DATE_EPOCH to 1980, which breaks some wheel builds.
              unset SOURCE_DATE_EPOCH
              # python3's setup hook puts the site-packages of shell inputs (Poetry's) on PYTHONPATH,
              # ahead of .venv, and exports PYTHONHASHSEED=0 for reproducible builds: the project's
              # interpreter sees only .venv and keeps hash randomisation (ops/workspace/syspath.py).
              unset PYTHONPATH PYTHONHASHSEED DETERMINISTIC_BUILD

            ''
            # Linux only: Python from the store loads libraries through Nix's glibc, which ignores
            # /etc/ld.so.cache, so what manylinux wheels expect from the system comes from here. macOS
            # wheels load system libraries through dyld, which Nix leaves alone. The services started from
          # the shell see it too: these are the same nixpkgs' libraries they were built against.
            + lib.optionalString stdenv.isLinux ''
              export LD_LIBRARY_PATH=${lib.makeLibraryPath (wheelLibraries pkgs)}''${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
              export CHROMIUM_PATH=${pkgs.chromium}/bin/chromium
            ''
            + ''
              echo "Dev shell: python ${pkgs.python313.version}, poetry ${pkgs.poetry.version}"
              echo "Next: just setup, then just up"
            '';
          };
        }
      );

      formatter = forAllSystems (pkgs: pkgs.nixfmt);

      # Formatting is not a check here: the workflow runs `nix fmt -- --check flake.nix` as its own
      # job, so a formatting slip fails that job alone and never skips the tests.
      checks = forAllSystems (pkgs: {
        devShell = self.devShells.${pkgs.stdenv.hostPlatform.system}.default;
      });
    };
}
