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
#   mkShell, runCommand -> pkgs/build-support via all-packages.nix (runCommandNoCC: throw alias)
{
  description = "Django 5.2 + DRF API template: development shell, formatter and checks";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (s: f nixpkgs.legacyPackages.${s});
    in
    {
      devShells = forAllSystems (pkgs: {
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
            pkgs.grafana
            pkgs.wrk
            pkgs.nginx # the load balancer of `just up-pair`
            pkgs.pkg-config
            pkgs.nixfmt
            pkgs.shellcheck
            # setsid detaches the stack from the shell; setpriv drops root for the services.
            pkgs.util-linux
          ];

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

            echo "Dev shell: python ${pkgs.python313.version}, poetry ${pkgs.poetry.version}"
            echo "Next: just setup, then just up"
          '';
        };
      });

      formatter = forAllSystems (pkgs: pkgs.nixfmt);

      checks = forAllSystems (pkgs: {
        devShell = self.devShells.${pkgs.stdenv.hostPlatform.system}.default;

        formatting = pkgs.runCommand "check-formatting" { } ''
          ${pkgs.nixfmt}/bin/nixfmt --check ${./flake.nix}
          touch $out
        '';
      });
    };
}
