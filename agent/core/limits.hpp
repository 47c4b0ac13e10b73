// Every limit Kindling enforces, with its reason. Hostile or broken input must
// fail with a named error at one of these, never exhaust memory or the stack.
#pragma once

#include <chrono>
#include <cstddef>

namespace kindling::limits {

// EC2 caps raw user data at 16 KiB; allow generous headroom for other sources
// and for tests, but refuse anything that could only be an attack or a mistake.
inline constexpr std::size_t k_user_data_bytes = 1024 * 1024;
// Decompressed gzip output (per layer and in total): stops gzip bombs.
inline constexpr std::size_t k_decompressed_bytes = 16 * 1024 * 1024;
// MIME: parts in total and depth of nested multiparts.
inline constexpr std::size_t k_mime_parts = 256;
inline constexpr std::size_t k_mime_depth = 8;
// #include chains (an include that includes) and URLs per include part.
inline constexpr std::size_t k_include_depth = 4;
inline constexpr std::size_t k_include_urls = 64;
// Bytes of the MIME header block scanned for "MIME-Version:" (cloud-init reads
// the first 4096 bytes to decide whether user data is a MIME message).
inline constexpr std::size_t k_mime_sniff_bytes = 4096;
// Entries in one #cloud-config-archive (each becomes a part, like a MIME part).
inline constexpr std::size_t k_archive_entries = k_mime_parts;
// YAML nesting depth and total nodes after alias expansion (billion laughs).
inline constexpr std::size_t k_yaml_depth = 64;
inline constexpr std::size_t k_yaml_nodes = 200000;
// A single IMDS response body (metadata values are small; user data is above).
inline constexpr std::size_t k_imds_body_bytes = 2 * 1024 * 1024;
// A full meta-data crawl (kindling query): paths listed and listing depth. Real
// trees have ~100 paths and depth 6; a hostile endpoint must not make us loop.
inline constexpr std::size_t k_imds_tree_paths = 4096;
inline constexpr std::size_t k_imds_tree_depth = 16;
// Paths: Linux PATH_MAX and NAME_MAX.
inline constexpr std::size_t k_path_bytes = 4096;
inline constexpr std::size_t k_name_bytes = 255;
// Symlinks followed while resolving one path under the root (as the kernel's 40).
inline constexpr int k_symlink_hops = 40;
// Directory levels Root::remove_tree descends (kindling clean): Kindling's own
// state is 5 levels deep; a deeper tree is not ours and must not exhaust the stack.
inline constexpr int k_remove_tree_depth = 64;
// A file read whole through system::Root (passwd, authorized_keys, a config):
// such files are small; a user-controlled file (~/.ssh/authorized_keys) must not
// be able to exhaust the agent's memory.
inline constexpr std::size_t k_read_file_bytes = 16 * 1024 * 1024;
// Captured stdout+stderr of one child (Output::capture); the rest is dropped and
// the capture says so. Long output belongs in the output log.
inline constexpr std::size_t k_child_output_bytes = 1024 * 1024;
// Kernel hostname (HOST_NAME_MAX is 64).
inline constexpr std::size_t k_hostname_bytes = 64;
// Default timeout of one child process (useradd, ssh-keygen, a user script);
// configurable in kindling.yaml (processes.timeout_seconds).
inline constexpr std::chrono::seconds k_child_timeout{1800};
// Default overall deadline for talking to IMDS at boot (kindling.yaml imds.deadline_seconds).
inline constexpr std::chrono::seconds k_imds_deadline{240};

}  // namespace kindling::limits
