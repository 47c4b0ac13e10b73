# Builds a throwaway root for demos and benchmarks: a few files of /etc and the
# host's /usr bind-mounted read-only, so chrooted commands (sh, useradd) work.
# Source it, then call `make_scratch_root DIR` from inside `unshare --mount`
# (the bind mounts are private to that mount namespace and vanish with it).
make_scratch_root() {
  local dir=$1
  mkdir -p "$dir"/{etc/skel,etc/ssh,home,root,tmp,var/log,var/lib,run,dev,usr,proc}
  chmod 1777 "$dir/tmp"
  chmod 0700 "$dir/root"
  cat >"$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
P
  cat >"$dir/etc/group" <<'G'
root:x:0:
daemon:x:1:
adm:x:4:
sudo:x:27:
users:x:100:
systemd-journal:x:999:
nogroup:x:65534:
G
  printf 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' >"$dir/etc/shadow"
  printf 'root:*::\ndaemon:*::\nadm:*::\nsudo:*::\nusers:*::\nsystemd-journal:!::\nnogroup:*::\n' >"$dir/etc/gshadow"
  chmod 0640 "$dir/etc/shadow" "$dir/etc/gshadow"
  [ -f /etc/login.defs ] && cp /etc/login.defs "$dir/etc/login.defs"
  # chpasswd (users_groups' passwd, plain_text_passwd, hashed_passwd) asks PAM;
  # without a password stack it fails with "password not changed". pam_unix
  # itself comes from the bound /usr.
  mkdir -p "$dir/etc/pam.d"
  echo 'password required pam_unix.so sha512' >"$dir/etc/pam.d/chpasswd"
  echo "localhost" >"$dir/etc/hostname"
  printf '127.0.0.1 localhost\n' >"$dir/etc/hosts"
  mount --bind /usr "$dir/usr"
  mount -o remount,bind,ro "$dir/usr"
  for l in bin sbin lib lib64; do
    [ -e "/$l" ] && ln -sfn "usr/$l" "$dir/$l"
  done
  touch "$dir/dev/null"
  mount --bind /dev/null "$dir/dev/null"
}
