# Shell helpers the bench scripts share: source "$src/bench/lib.sh".

# A free TCP port on loopback.
free_port() {
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits up to 10 s for any HTTP answer from url; exits the script if none comes.
wait_http() { # url
    for _ in $(seq 1 200); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.05
    done
    echo "$(basename "$(dirname "$0")"): nothing answers $1" >&2
    exit 1
}
