#!/usr/bin/env bash
# vigil's security scan. Runs the pinned scanners, keeps each one's own report, and writes one
# consolidated Markdown report; docs/SECURITY.md ("Security scanning") explains every check.
#
# Usage: security/security-scan.sh [full|quick|deps|secrets] [options]
#
#   full     (default) everything: gosec, govulncheck, staticcheck, the licence check, gitleaks
#            on the working tree and the git history, tfsec and terraform fmt/validate,
#            ShellCheck, hadolint; trivy and semgrep when they are on the PATH
#   quick    gosec and govulncheck (what CI runs on every change)
#   deps     govulncheck and the licence check
#   secrets  gitleaks on the working tree and the git history
#
# Options:
#   --target DIR          scan this tree instead of the repository (the scanner's own test
#                         uses it on security/testdata/vulnerable)
#   --reports DIR         write reports here (default: security/reports, git-ignored)
#   --suppressions FILE   accepted findings (default: security/suppressions.txt)
#   --no-install          do not apt-get install a missing Debian tool (also VIGIL_SCAN_NO_INSTALL=1)
#
# Environment: VIGIL_VULNDB (a directory or URL of a Go vulnerability database; default
# ../shared/vulndb beside the checkout when it exists, else the public one),
# VIGIL_SEMGREP_CONFIG (semgrep rules to use when semgrep is installed).
#
# Exit status: 0 pass; 1 a high or critical finding (or any secret) that no active
# suppression accepts; 2 a required check could not run, or a usage error.
#
# The Go scanners are pinned by the `tool` directives of tools/go.mod and built by the go
# command (downloaded through the Go module proxy on first use, then cached); shellcheck comes
# from Debian's packages. Nothing else is downloaded.
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
TOOLS_MOD=$ROOT/tools/go.mod
GITLEAKS_CONFIG=$SCRIPT_DIR/gitleaks.toml

mode=full
target=$ROOT
reports=$SCRIPT_DIR/reports
suppressions=$SCRIPT_DIR/suppressions.txt
install=1
[[ ${VIGIL_SCAN_NO_INSTALL:-} == 1 ]] && install=0

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

while (($# > 0)); do
  case $1 in
    full | quick | deps | secrets) mode=$1 ;;
    --target) target=${2:?--target needs a directory}; shift ;;
    --reports) reports=${2:?--reports needs a directory}; shift ;;
    --suppressions) suppressions=${2:?--suppressions needs a file}; shift ;;
    --no-install) install=0 ;;
    -h | --help | help) usage ;;
    *) echo "security-scan: unknown argument: $1" >&2; usage ;;
  esac
  shift
done

if [[ ! -d $target ]]; then
  echo "security-scan: --target $target is not a directory" >&2
  exit 2
fi
if [[ ! -f $suppressions ]]; then
  echo "security-scan: suppression file $suppressions does not exist" >&2
  exit 2
fi
if ! command -v go >/dev/null; then
  echo "security-scan: the go command is needed (it builds the pinned scanners)" >&2
  exit 2
fi
target=$(cd -- "$target" && pwd)
mkdir -p -- "$reports"
reports=$(cd -- "$reports" && pwd)
suppressions=$(cd -- "$(dirname -- "$suppressions")" && pwd)/$(basename -- "$suppressions")

stamp=$(date -u +%Y%m%d_%H%M%S)
run=$(mktemp -d "${TMPDIR:-/tmp}/vigil-scan.XXXXXX")
trap 'rm -rf -- "$run"' EXIT
manifest=$run/manifest.tsv
: >"$manifest"

# ---------------------------------------------------------------------------------------------
# Bookkeeping: every check ends in exactly one `record` line of the manifest that scanreport reads.

log() { printf '==> %s\n' "$*" >&2; }

# clean turns text into one manifest field: no tabs, no newlines.
clean() { printf '%s' "$1" | tr '\t\r\n' '   '; }

meta() { printf 'meta\t%s\t%s\n' "$1" "$(clean "$2")" >>"$manifest"; }

# record NAME TOOL STATUS VERSION FORMAT REPORT START NOTE
record() {
  printf 'check\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(clean "$4")" "$5" "$6" \
    "$(elapsed "$7")" "$(clean "$8")" >>"$manifest"
  log "$1: $3${8:+ ($8)}"
}

now_us() { local t=${EPOCHREALTIME/./}; printf '%s' "$t"; }

elapsed() {
  local us=$(($(now_us) - $1))
  printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
}

# tail_of FILE: the last lines of a log, for a note saying why something failed.
tail_of() { tail -n "${2:-3}" -- "$1" 2>/dev/null | tr '\n' ' '; }

in_git() { git -C "$target" rev-parse --is-inside-work-tree >/dev/null 2>&1; }
git_root() { [[ $(git -C "$target" rev-parse --show-toplevel 2>/dev/null) == "$target" ]]; }
go_module() { [[ -f $target/go.mod ]]; }

# gotool NAME: the path of the pinned scanner NAME, built by `go tool` from tools/go.mod
# (first use downloads its modules through the Go module proxy; later uses hit the build cache).
gotool() {
  (cd -- "$ROOT" && GOWORK=off go tool -modfile="$TOOLS_MOD" -n "$1") 2>"$run/build-$1.log"
}

# gotool_version MODULE: the version tools/go.mod pins.
gotool_version() {
  (cd -- "$ROOT" && GOWORK=off go list -modfile="$TOOLS_MOD" -m -f '{{.Version}}' "$1") 2>/dev/null || echo unknown
}

# ensure_debian_tool COMMAND PACKAGE: install a missing tool from Debian's packages.
ensure_debian_tool() {
  command -v "$1" >/dev/null && return 0
  ((install)) || return 1
  command -v apt-get >/dev/null || return 1
  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || return 1
    sudo=(sudo -n)
  fi
  log "installing $2 from Debian's packages"
  {
    "${sudo[@]}" apt-get install -y -qq "$2" ||
      { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "$2"; }
  } >"$run/apt-$2.log" 2>&1 || return 1
  command -v "$1" >/dev/null
}

# candidate_files: NUL-separated paths, relative to the target, of every file that is or could
# be committed (tracked, or untracked and not ignored), minus test fixtures (testdata/) and
# Terraform's downloads. Outside git: every file.
candidate_files() {
  local list
  if in_git; then
    list=$(cd -- "$target" && git ls-files -z -co --exclude-standard | tr '\0' '\n')
  else
    list=$(cd -- "$target" && find . -type f -not -path './.git/*' | sed 's|^\./||')
  fi
  local f
  while IFS= read -r f; do
    [[ -z $f || ! -f $target/$f || -L $target/$f ]] && continue
    case /$f in */testdata/* | */.terraform/*) continue ;; esac
    printf '%s\0' "$f"
  done <<<"$list"
}

# ---------------------------------------------------------------------------------------------
# The checks. Each records itself as ran, skipped (with why) or failed (with why).

check_gosec() {
  local start report=$reports/gosec_$stamp.json bin
  start=$(now_us)
  if ! go_module; then record gosec gosec skipped "" "" "" "$start" "no go.mod in the scanned tree"; return; fi
  if ! bin=$(gotool gosec); then
    record gosec gosec failed "" "" "" "$start" "could not build gosec: $(tail_of "$run/build-gosec.log")"; return
  fi
  local version
  version=$(gotool_version github.com/securego/gosec/v2)
  # -nosec: inline #nosec comments are ignored; accepted findings go in the suppression file,
  # where they carry a reason, a reviewer and an expiry date. gosec walks directories itself,
  # so testdata/ (fixtures, never built) is excluded explicitly, as the go command would.
  if (cd -- "$target" && "$bin" -fmt json -out "$report" -no-fail -quiet -nosec -exclude-dir=testdata ./...) >"$run/gosec.log" 2>&1; then
    record gosec gosec ran "$version" gosec-json "$report" "$start" ""
  else
    record gosec gosec failed "$version" "" "" "$start" "gosec exited with an error: $(tail_of "$run/gosec.log")"
  fi
}

# vulndb: the database govulncheck reads. VIGIL_VULNDB (path or URL) first, then the offline
# copy beside the checkout (../shared/vulndb), else govulncheck's default public database.
vulndb() {
  if [[ -n ${VIGIL_VULNDB:-} ]]; then
    case $VIGIL_VULNDB in
      *://*) printf '%s' "$VIGIL_VULNDB" ;;
      *) [[ -d $VIGIL_VULNDB ]] || return 1; printf 'file://%s' "$(cd -- "$VIGIL_VULNDB" && pwd)" ;;
    esac
  elif [[ -f $ROOT/../shared/vulndb/index/db.json ]]; then
    printf 'file://%s' "$(cd -- "$ROOT/../shared/vulndb" && pwd)"
  fi
}

check_govulncheck() {
  local start report=$reports/govulncheck_$stamp.json bin db
  start=$(now_us)
  if ! go_module; then record govulncheck govulncheck skipped "" "" "" "$start" "no go.mod in the scanned tree"; return; fi
  if ! db=$(vulndb); then
    record govulncheck govulncheck failed "" "" "" "$start" "VIGIL_VULNDB=$VIGIL_VULNDB is neither a URL nor a directory"; return
  fi
  if ! bin=$(gotool govulncheck); then
    record govulncheck govulncheck failed "" "" "" "$start" "could not build govulncheck: $(tail_of "$run/build-govulncheck.log")"; return
  fi
  local version args=(-C "$target" -format json)
  version=$(gotool_version golang.org/x/vuln)
  [[ -n $db ]] && args+=(-db "$db")
  if "$bin" "${args[@]}" ./... >"$report" 2>"$run/govulncheck.log"; then
    local used modified
    used=$(sed -n 's/^ *"db": *"\([^"]*\)".*/\1/p' "$report" | head -n 1)
    modified=$(sed -n 's/^ *"db_last_modified": *"\([^"]*\)".*/\1/p' "$report" | head -n 1)
    meta vulndb "${used:-${db:-https://vuln.go.dev}} (last modified ${modified:-unknown})"
    record govulncheck govulncheck ran "$version" govulncheck-json "$report" "$start" ""
  else
    meta vulndb "${db:-https://vuln.go.dev, the default of govulncheck}"
    record govulncheck govulncheck failed "$version" "" "" "$start" \
      "govulncheck could not run (database ${db:-https://vuln.go.dev}): $(tail_of "$run/govulncheck.log")"
  fi
}

check_staticcheck() {
  local start report=$reports/staticcheck_$stamp.json bin rc=0
  start=$(now_us)
  if ! go_module; then record staticcheck staticcheck skipped "" "" "" "$start" "no go.mod in the scanned tree"; return; fi
  if ! bin=$(gotool staticcheck); then
    record staticcheck staticcheck failed "" "" "" "$start" "could not build staticcheck: $(tail_of "$run/build-staticcheck.log")"; return
  fi
  local version
  version=$(gotool_version honnef.co/go/tools)
  (cd -- "$target" && "$bin" -f json ./...) >"$report" 2>"$run/staticcheck.log" || rc=$?
  # 0: nothing found; 1: findings (or a "compile" entry, which scanreport turns into a failure).
  if ((rc == 0)) || { ((rc == 1)) && [[ -s $report ]]; }; then
    record staticcheck staticcheck ran "$version" staticcheck-json "$report" "$start" ""
  else
    record staticcheck staticcheck failed "$version" "" "" "$start" "staticcheck exited with status $rc: $(tail_of "$run/staticcheck.log")"
  fi
}

# The licence check lists every library the target's packages link (tests excluded) with its
# licence, offline, by asking go-licenses to "disallow" every licence type; scanreport then
# grades them: GPL-family, AGPL-family and unidentified licences are high.
check_licences() {
  local start report=$reports/licences_$stamp.txt bin rc=0 module
  start=$(now_us)
  if ! go_module; then record licences go-licenses skipped "" "" "" "$start" "no go.mod in the scanned tree"; return; fi
  if ! bin=$(gotool go-licenses); then
    record licences go-licenses failed "" "" "" "$start" "could not build go-licenses: $(tail_of "$run/build-go-licenses.log")"; return
  fi
  local version
  version=$(gotool_version github.com/google/go-licenses)
  module=$(cd -- "$target" && GOWORK=off go list -m 2>/dev/null) || module=
  (cd -- "$target" && "$bin" check ${module:+--ignore "$module"} \
    --disallowed_types=forbidden,restricted,unknown,reciprocal,notice,permissive,unencumbered ./...) >"$report" 2>&1 || rc=$?
  if ((rc == 0)) || grep -q ' license type .* found for library ' "$report"; then
    record licences go-licenses ran "$version" go-licenses-text "$report" "$start" ""
  else
    record licences go-licenses failed "$version" "" "" "$start" "go-licenses exited with status $rc: $(tail_of "$report")"
  fi
}

# gitleaks_common: the flags both gitleaks checks share. --redact keeps secrets out of the
# report; --ignore-gitleaks-allow and an empty ignore directory make the suppression file the
# only way to accept a finding. The config extends gitleaks' default rules and allowlists the
# planted fixtures under security/testdata/ (see the file).
gitleaks_common() {
  printf '%s\0' --no-banner --redact --ignore-gitleaks-allow --gitleaks-ignore-path "$run" \
    --config "$GITLEAKS_CONFIG" --report-format json --exit-code 0 --log-level warn
}

check_gitleaks_tree() {
  local start report=$reports/gitleaks-tree_$stamp.json bin src=$target note=""
  start=$(now_us)
  if ! bin=$(gotool gitleaks); then
    record "gitleaks (working tree)" gitleaks failed "" "" "" "$start" "could not build gitleaks: $(tail_of "$run/build-gitleaks.log")"; return
  fi
  local version flags=()
  version=$(gotool_version github.com/zricethezav/gitleaks/v8)
  mapfile -d '' -t flags < <(gitleaks_common)
  if in_git; then
    # Scan what is or could be committed; git-ignored files (a developer's .env, reports, build
    # output) stay out of the scan and out of its report.
    src=$run/tree
    mkdir -p -- "$src"
    (cd -- "$target" && candidate_files | tar --null -T - -cf -) | tar -xf - -C "$src"
    note="files tracked or addable by git; git-ignored files not scanned"
  fi
  if (cd -- "$src" && "$bin" dir "${flags[@]}" --report-path "$report" .) >"$run/gitleaks-tree.log" 2>&1; then
    record "gitleaks (working tree)" gitleaks ran "$version" gitleaks-json "$report" "$start" "$note"
  else
    record "gitleaks (working tree)" gitleaks failed "$version" "" "" "$start" "gitleaks exited with an error: $(tail_of "$run/gitleaks-tree.log")"
  fi
}

check_gitleaks_history() {
  local start report=$reports/gitleaks-history_$stamp.json bin
  start=$(now_us)
  if ! git_root; then
    record "gitleaks (git history)" gitleaks skipped "" "" "" "$start" "the scanned tree is not the root of a git repository"; return
  fi
  if ! bin=$(gotool gitleaks); then
    record "gitleaks (git history)" gitleaks failed "" "" "" "$start" "could not build gitleaks: $(tail_of "$run/build-gitleaks.log")"; return
  fi
  local version flags=() note commits
  version=$(gotool_version github.com/zricethezav/gitleaks/v8)
  mapfile -d '' -t flags < <(gitleaks_common)
  commits=$(git -C "$target" rev-list --all --count 2>/dev/null || echo "?")
  note="$commits commit(s) on all refs"
  [[ $(git -C "$target" rev-parse --is-shallow-repository 2>/dev/null) == true ]] &&
    note="$note; shallow clone: older history was not scanned"
  if "$bin" git "${flags[@]}" --report-path "$report" --log-opts=--all "$target" >"$run/gitleaks-history.log" 2>&1; then
    record "gitleaks (git history)" gitleaks ran "$version" gitleaks-json "$report" "$start" "$note"
  else
    record "gitleaks (git history)" gitleaks failed "$version" "" "" "$start" "gitleaks exited with an error: $(tail_of "$run/gitleaks-history.log")"
  fi
}

# rel_to_target PATH: PATH relative to the target ("." for the target itself).
rel_to_target() {
  if [[ $1 == "$target" ]]; then printf '.'; else printf '%s' "${1#"$target"/}"; fi
}

# terraform_dir: deploy/terraform in the repository, else the target itself if it holds .tf files.
terraform_dir() {
  if [[ -d $target/deploy/terraform ]]; then
    printf '%s' "$target/deploy/terraform"
  elif compgen -G "$target/*.tf" >/dev/null; then
    printf '%s' "$target"
  else
    return 1
  fi
}

check_tfsec() {
  local start report=$reports/tfsec_$stamp.json bin dir
  start=$(now_us)
  if ! dir=$(terraform_dir); then record tfsec tfsec skipped "" "" "" "$start" "no Terraform files (deploy/terraform/)"; return; fi
  if ! bin=$(gotool tfsec); then
    record tfsec tfsec failed "" "" "" "$start" "could not build tfsec: $(tail_of "$run/build-tfsec.log")"; return
  fi
  local version
  version=$(gotool_version github.com/aquasecurity/tfsec)
  # --no-ignores: inline tfsec:ignore comments do not count; the suppression file does.
  if "$bin" "$dir" --format json --out "$report" --soft-fail --no-color --no-module-downloads \
    --no-ignores --concise-output >"$run/tfsec.log" 2>&1; then
    record tfsec tfsec ran "$version" tfsec-json "$report" "$start" "scanned $(rel_to_target "$dir")"
  else
    record tfsec tfsec failed "$version" "" "" "$start" "tfsec exited with an error: $(tail_of "$run/tfsec.log")"
  fi
}

# terraform fmt and validate run when a terraform binary is on the PATH. validate needs the AWS
# provider, which `terraform init` downloads from registry.terraform.io; the scan never
# downloads it, so validate runs only where the directory was initialised beforehand.
check_terraform() {
  local start dir version
  start=$(now_us)
  if ! dir=$(terraform_dir); then
    record "terraform fmt" terraform skipped "" "" "" "$start" "no Terraform files"
    record "terraform validate" terraform skipped "" "" "" "$start" "no Terraform files"
    return
  fi
  if ! command -v terraform >/dev/null; then
    record "terraform fmt" terraform skipped "" "" "" "$start" "terraform is not installed"
    record "terraform validate" terraform skipped "" "" "" "$start" "terraform is not installed"
    return
  fi
  version=$(terraform version -json 2>/dev/null | sed -n 's/^ *"terraform_version": *"\([^"]*\)".*/\1/p')
  local report=$reports/terraform-fmt_$stamp.txt rc=0
  (cd -- "$dir" && terraform fmt -check -recursive -list=true -no-color .) >"$report" 2>"$run/terraform-fmt.log" || rc=$?
  if ((rc == 0)) || [[ -s $report ]]; then
    [[ $dir != "$target" ]] && sed -i "s|^|$(rel_to_target "$dir")/|" "$report"
    record "terraform fmt" terraform ran "$version" terraform-fmt "$report" "$start" ""
  else
    record "terraform fmt" terraform failed "$version" "" "" "$start" "terraform fmt exited with status $rc: $(tail_of "$run/terraform-fmt.log")"
  fi
  start=$(now_us)
  if [[ ! -d $dir/.terraform/providers ]]; then
    record "terraform validate" terraform skipped "$version" "" "" "$start" \
      "providers not installed: run 'terraform -chdir=$(rel_to_target "$dir") init -backend=false' where registry.terraform.io is reachable; the scan downloads nothing"
    return
  fi
  report=$reports/terraform-validate_$stamp.json
  rc=0
  terraform -chdir="$dir" validate -json -no-color >"$report" 2>"$run/terraform-validate.log" || rc=$?
  if grep -q '"diagnostics"' "$report"; then
    record "terraform validate" terraform ran "$version" terraform-json "$report" "$start" ""
  else
    record "terraform validate" terraform failed "$version" "" "" "$start" "terraform validate exited with status $rc: $(tail_of "$run/terraform-validate.log")"
  fi
}

check_shellcheck() {
  local start report=$reports/shellcheck_$stamp.json files=() f rc=0 version
  start=$(now_us)
  while IFS= read -r -d '' f; do
    case $f in
      *.sh | *.bash) files+=("$f") ;;
      *) head -n 1 -- "$target/$f" 2>/dev/null | grep -Eq '^#!.*[/ ](ba|da|k)?sh([[:space:]]|$)' && files+=("$f") ;;
    esac
  done < <(candidate_files)
  if ((${#files[@]} == 0)); then record shellcheck shellcheck skipped "" "" "" "$start" "no shell scripts"; return; fi
  if ! ensure_debian_tool shellcheck shellcheck; then
    if ((install)); then
      record shellcheck shellcheck failed "" "" "" "$start" "shellcheck is missing and apt-get install shellcheck failed: $(tail_of "$run/apt-shellcheck.log")"
    else
      record shellcheck shellcheck skipped "" "" "" "$start" "shellcheck is not installed and --no-install was given"
    fi
    return
  fi
  version=$(shellcheck --version | sed -n 's/^version: //p')
  (cd -- "$target" && shellcheck -x -f json1 -- "${files[@]}") >"$report" 2>"$run/shellcheck.log" || rc=$?
  if ((rc <= 1)) && [[ -s $report ]]; then
    record shellcheck shellcheck ran "$version" shellcheck-json1 "$report" "$start" "${#files[@]} script(s)"
  else
    record shellcheck shellcheck failed "$version" "" "" "$start" "shellcheck exited with status $rc: $(tail_of "$run/shellcheck.log")"
  fi
}

check_hadolint() {
  local start report=$reports/hadolint_$stamp.json files=() f rc=0 version
  start=$(now_us)
  while IFS= read -r -d '' f; do
    case ${f##*/} in Dockerfile | Dockerfile.* | *.Dockerfile) files+=("$f") ;; esac
  done < <(candidate_files)
  if ((${#files[@]} == 0)); then record hadolint hadolint skipped "" "" "" "$start" "no Dockerfile"; return; fi
  if ! command -v hadolint >/dev/null; then
    record hadolint hadolint skipped "" "" "" "$start" \
      "hadolint is not installed (neither Debian 12 nor the Go module proxy has it): ${files[*]} not linted"
    return
  fi
  version=$(hadolint --version 2>/dev/null | head -n 1)
  (cd -- "$target" && hadolint -f json --no-fail -- "${files[@]}") >"$report" 2>"$run/hadolint.log" || rc=$?
  if ((rc == 0)) && [[ -s $report ]]; then
    record hadolint hadolint ran "$version" hadolint-json "$report" "$start" ""
  else
    record hadolint hadolint failed "$version" "" "" "$start" "hadolint exited with status $rc: $(tail_of "$run/hadolint.log")"
  fi
}

# dockerfile_policy FILE: a few rules every vigil image must meet, as hadolint-style JSON. It is
# no substitute for hadolint (which is not installable here); it runs whether or not hadolint does.
#   DF001 high    the final stage runs as root (no USER, or USER root/0)
#   DF002 medium  a base image without a tag or digest, or :latest
#   DF003 high    ENV or ARG gives a secret-looking variable (KEY, SECRET, TOKEN, PASSWORD) a value
#   DF004 medium  ADD from a URL (unverified download)
#   DF005 high    COPY or ADD of .env, *.pem or *.key
#   DF006 low     no HEALTHCHECK
dockerfile_policy() {
  awk -v file="$1" '
    function emit(line, code, level, msg) {
      printf "%s{\"file\":\"%s\",\"line\":%d,\"code\":\"%s\",\"level\":\"%s\",\"message\":\"%s\"}", (n++ ? "," : ""), file, line, code, level, msg
    }
    function secretish(name) { return toupper(name) ~ /(KEY|SECRET|TOKEN|PASSWORD|PASSWD)/ }
    BEGIN { printf "[" }
    /^[[:space:]]*#/ { next }
    {
      instr = toupper($1)
      if (instr == "FROM") {
        user = ""; userline = NR; image = $2
        for (i = 3; i < NF; i++) if (toupper($i) == "AS") stages[tolower($(i + 1))] = 1
        if (!(tolower(image) in stages) && tolower(image) != "scratch") {
          if (image ~ /:latest(@|$)/) emit(NR, "DF002", "warning", "base image " image " uses the latest tag")
          else if (image !~ /[:@]/) emit(NR, "DF002", "warning", "base image " image " has no tag or digest")
        }
      } else if (instr == "USER") {
        user = $2; userline = NR
      } else if (instr == "ENV" || instr == "ARG") {
        if ($2 !~ /=/ && NF >= 3 && secretish($2)) emit(NR, "DF003", "error", instr " sets " $2 " in an image layer")
        for (i = 2; i <= NF; i++) {
          split($i, kv, "=")
          if ($i ~ /=./ && secretish(kv[1])) emit(NR, "DF003", "error", instr " sets " kv[1] " in an image layer")
        }
      } else if (instr == "ADD" && $0 ~ /https?:\/\//) {
        emit(NR, "DF004", "warning", "ADD downloads from a URL without verifying it")
      } else if (instr == "HEALTHCHECK") {
        healthcheck = 1
      }
      if ((instr == "COPY" || instr == "ADD") && $0 ~ /(^|[[:space:]\/])\.env([[:space:]]|$)|\.pem([[:space:]]|$)|\.key([[:space:]]|$)/) {
        emit(NR, "DF005", "error", "copies a secret file into the image")
      }
    }
    END {
      if (user == "" || user ~ /^(root|0)(:|$)/) emit(userline, "DF001", "error", "the final stage runs as root: add USER with a non-root uid")
      if (!healthcheck) emit(NR, "DF006", "info", "no HEALTHCHECK")
      print "]"
    }' "$target/$1"
}

check_dockerfile_policy() {
  local start report=$reports/dockerfile-policy_$stamp.json files=() f
  start=$(now_us)
  while IFS= read -r -d '' f; do
    case ${f##*/} in Dockerfile | Dockerfile.* | *.Dockerfile) files+=("$f") ;; esac
  done < <(candidate_files)
  if ((${#files[@]} == 0)); then record "dockerfile policy" dockerfile-policy skipped "" "" "" "$start" "no Dockerfile"; return; fi
  # One JSON array per file, merged into one.
  {
    printf '['
    local sep=""
    for f in "${files[@]}"; do
      local items
      items=$(dockerfile_policy "$f")
      items=${items#[}
      items=${items%]}
      [[ -n $items ]] && { printf '%s%s' "$sep" "$items"; sep=","; }
    done
    printf ']\n'
  } >"$report"
  record "dockerfile policy" dockerfile-policy ran "built-in" hadolint-json "$report" "$start" "${#files[@]} Dockerfile(s); a minimal check, not a substitute for hadolint"
}

# trivy and semgrep are not pinned here (the Go module proxy refuses trivy; semgrep is not a Go
# tool): they run only when someone installed them, and a failure of theirs is reported as a
# skip with the reason rather than failing the scan.
check_trivy() {
  local start report=$reports/trivy_$stamp.json version
  start=$(now_us)
  if ! command -v trivy >/dev/null; then
    record trivy trivy skipped "" "" "" "$start" "trivy is not installed (the Go module proxy refuses it); gosec, govulncheck, gitleaks and tfsec cover its ground"
    return
  fi
  version=$(trivy --version 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
  if trivy fs --quiet --format json --output "$report" --scanners vuln,secret,misconfig \
    --skip-dirs security/testdata "$target" >"$run/trivy.log" 2>&1; then
    record trivy trivy ran "$version" trivy-json "$report" "$start" ""
  else
    record trivy trivy skipped "$version" "" "" "$start" "trivy is installed but failed (offline database?): $(tail_of "$run/trivy.log")"
  fi
}

check_semgrep() {
  local start report=$reports/semgrep_$stamp.json version
  start=$(now_us)
  if ! command -v semgrep >/dev/null; then
    record semgrep semgrep skipped "" "" "" "$start" "semgrep is not installed (not in Debian 12 or the Go module proxy)"
    return
  fi
  version=$(semgrep --version 2>/dev/null | head -n 1)
  if [[ -z ${VIGIL_SEMGREP_CONFIG:-} ]]; then
    record semgrep semgrep skipped "$version" "" "" "$start" "set VIGIL_SEMGREP_CONFIG to local rules; the scan fetches no rules from the network"
    return
  fi
  if semgrep scan --quiet --metrics off --json --output "$report" --config "$VIGIL_SEMGREP_CONFIG" \
    --exclude testdata "$target" >"$run/semgrep.log" 2>&1; then
    record semgrep semgrep ran "$version" semgrep-json "$report" "$start" ""
  else
    record semgrep semgrep skipped "$version" "" "" "$start" "semgrep is installed but failed: $(tail_of "$run/semgrep.log")"
  fi
}

# ---------------------------------------------------------------------------------------------

log "security scan ($mode) of $target"
meta started "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
meta mode "$mode"
meta target "$target"
if in_git; then
  commit=$(git -C "$target" rev-parse --short HEAD 2>/dev/null || echo "no commits")
  [[ -n $(git -C "$target" status --porcelain 2>/dev/null | head -n 1) ]] && commit="$commit (with uncommitted changes)"
  meta commit "$commit"
fi
meta go "$(go env GOVERSION)"

case $mode in
  quick) check_gosec; check_govulncheck ;;
  deps) check_govulncheck; check_licences ;;
  secrets) check_gitleaks_tree; check_gitleaks_history ;;
  full)
    check_gosec
    check_govulncheck
    check_staticcheck
    check_licences
    check_gitleaks_tree
    check_gitleaks_history
    check_tfsec
    check_terraform
    check_shellcheck
    check_hadolint
    check_dockerfile_policy
    check_trivy
    check_semgrep
    ;;
esac

cp -- "$manifest" "$reports/manifest_$stamp.tsv"
if ! (cd -- "$ROOT" && GOWORK=off go build -o "$run/scanreport" ./security/scanreport) 2>"$run/scanreport-build.log"; then
  echo "security-scan: could not build security/scanreport: $(tail_of "$run/scanreport-build.log" 5)" >&2
  exit 2
fi
status=0
"$run/scanreport" -manifest "$manifest" -suppressions "$suppressions" -target "$target" \
  -out "$reports/security_report_$stamp.md" || status=$?
exit "$status"
