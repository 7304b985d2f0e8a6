#!/usr/bin/env bash
# The side-by-side: vigil's model beside XGBoost and logistic regression on vigil's own feature
# table, under the Fraud Detection Handbook's protocol. See bench/README.md.
#
#   bench/run.sh                 build, generate the data if missing, evaluate, compare
#   REV=HEAD bench/run.sh        the same with vigil built from a commit, not the working tree
#
# Environment: WORK (default /tmp/vigil-bench) holds every output; DATA (default
# $WORK/handbook.csv) is the history, generated with the handbook's scenarios if missing;
# REV builds vigil from that commit (git archive) so the figures belong to it; PYTHON (default
# /usr/bin/python3) runs the yardstick; THREADS (default 1) its XGBoost threads.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${WORK:-/tmp/vigil-bench}
data=${DATA:-$work/handbook.csv}
python=${PYTHON:-/usr/bin/python3}
threads=${THREADS:-1}
rev=${REV:-}
test_start=2018-08-08
vigil=$work/vigil
yardstick=$root/bench/yardstick.py

step() { printf '\n== %s\n' "$*" >&2; }
elapsed() { printf '   %s: %ds\n' "$1" "$(($(date +%s) - $2))" >&2; }

mkdir -p "$work"
if ! "$python" -c 'import numpy, pandas, sklearn, xgboost' 2>/dev/null; then
	echo "run.sh: $python lacks numpy, pandas, scikit-learn or xgboost;" >&2
	echo "        on Debian: apt-get install -y python3-xgboost python3-sklearn python3-pandas" >&2
	exit 2
fi

step "build vigil"
t=$(date +%s)
if [[ -n $rev ]]; then
	commit=$(git -C "$root" rev-parse --verify "$rev^{commit}")
	src=$work/src
	rm -rf "$src"
	mkdir -p "$src"
	git -C "$root" archive "$commit" | tar -x -C "$src"
	(cd "$src" && go build -o "$vigil" ./cmd/vigil)
	built="commit $commit"
else
	(cd "$root" && go build -o "$vigil" ./cmd/vigil)
	built="working tree at $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
fi
echo "$built" >"$work/build.txt"
echo "   vigil built from the $built" >&2
elapsed build "$t"

if [[ ! -s $data ]] || ! head -n 1 "$data" | grep -q 'scenarios=handbook'; then
	step "generate $data (handbook scenarios, default size)"
	t=$(date +%s)
	"$vigil" generate --scenarios handbook --layout handbook --out "$data"
	elapsed generate "$t"
fi
head -n 1 "$data" >&2

step "feature tables"
for columns in vigil handbook; do
	t=$(date +%s)
	"$vigil" features --data "$data" --out "$work/features-$columns.csv" --columns "$columns" --json 2>/dev/null |
		tail -n 1 >"$work/features-$columns.json"
	elapsed "features --columns $columns" "$t"
done

step "vigil evaluate"
for kind in gbdt logistic; do
	for folds in 1 4; do
		t=$(date +%s)
		"$vigil" evaluate --data "$data" --test-start "$test_start" --folds "$folds" --kind "$kind" \
			--json --scores-out "$work/scores-$kind-$folds.csv" 2>/dev/null |
			tail -n 1 >"$work/evaluate-$kind-$folds.json"
		elapsed "evaluate --kind $kind --folds $folds" "$t"
	done
done

step "cross-check: vigil's metrics recomputed from its scores"
status=0
for kind in gbdt logistic; do
	for folds in 1 4; do
		# The GBDT's scores are checked against the handbook layout, the baseline's against vigil's.
		columns=handbook
		[[ $kind == logistic ]] && columns=vigil
		printf '%s, %s fold(s), %s table: ' "$kind" "$folds" "$columns" >&2
		if "$python" "$yardstick" check --table "$work/features-$columns.csv" \
			--scores "$work/scores-$kind-$folds.csv" --vigil-json "$work/evaluate-$kind-$folds.json" \
			>"$work/check-$kind-$folds.txt" 2>&1; then
			grep '^AGREE' "$work/check-$kind-$folds.txt" >&2
		else
			status=1
			grep -v '^{' "$work/check-$kind-$folds.txt" >&2
		fi
	done
done

step "the yardstick"
t=$(date +%s)
"$python" "$yardstick" run --table "$work/features-vigil.csv" --test-start "$test_start" --threads "$threads" \
	--vigil gbdt "$work/evaluate-gbdt-1.json" --vigil logistic "$work/evaluate-logistic-1.json" \
	--vigil gbdt "$work/evaluate-gbdt-4.json" --vigil logistic "$work/evaluate-logistic-4.json" \
	--json-out "$work/yardstick.json" | tee "$work/yardstick.txt" | grep -v '^{'
elapsed yardstick "$t"

printf '\nvigil: %s\noutputs in %s; machine: %s cores, load %s\n' "$built" "$work" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
