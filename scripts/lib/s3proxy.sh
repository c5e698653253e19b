# shellcheck shell=bash
# s3proxy (the S3 API over local files) for the local stack and the benchmarks. Source it, then:
#   s3proxy_launch DIR PORT KEY SECRET   start s3proxy on 127.0.0.1:PORT with its data, properties,
#                                        log, pid and port files under DIR; returns once it listens
# The jar is fetched into DIR from Maven Central when missing (the local repository first).

S3PROXY_VERSION=2.4.1

_s3proxy_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

s3proxy_launch() {
  local dir="$1" port="$2" key="$3" secret="$4" jar
  jar="$dir/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
  mkdir -p "$dir/data"
  if _s3proxy_listening "$port"; then
    echo "s3proxy: port $port is taken" >&2
    return 1
  fi
  if [[ ! -f "$jar" ]]; then
    echo "s3proxy: fetching s3proxy $S3PROXY_VERSION from Maven Central" >&2
    mvn -q -B -ntp dependency:copy \
      -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
      -DoutputDirectory="$dir" >&2
  fi
  cat >"$dir/s3proxy.properties" <<PROPS
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$key
s3proxy.credential=$secret
s3proxy.ignore-unknown-headers=true
jclouds.provider=filesystem
jclouds.filesystem.basedir=$dir/data
PROPS
  nohup java -Xmx1g -jar "$jar" --properties "$dir/s3proxy.properties" >"$dir/s3proxy.log" 2>&1 &
  echo $! >"$dir/pid"
  echo "$port" >"$dir/port"
  for _ in $(seq 1 100); do
    _s3proxy_listening "$port" && return 0
    sleep 0.2
  done
  echo "s3proxy: did not start; see $dir/s3proxy.log" >&2
  return 1
}
