// SPDX-License-Identifier: GPL-3.0-or-later
// VerneMQ's families (vmq_metrics.erl, 1.10 to 2.2; the reason-code lists as VerneMQ 2.0.1
// declares them) and the charts made of them. See docs of catalogue.h for the shape.
#include "vmq/catalogue.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace vmq::catalogue {
namespace {

constexpr FamilyType kCounter = FamilyType::counter;
constexpr FamilyType kGauge = FamilyType::gauge;
constexpr FamilyType kHistogram = FamilyType::histogram;
using enum Algo;
using SV = std::string_view;

// ---- Families ---------------------------------------------------------------------------------

constexpr Family kFamilies[] = {
    // Sockets, bytes, connections.
    {"socket_open", kCounter, "1.10"},
    {"socket_close", kCounter, "1.10"},
    {"socket_close_timeout", kCounter, "1.10"},
    {"socket_error", kCounter, "1.10"},
    {"bytes_received", kCounter, "1.10"},
    {"bytes_sent", kCounter, "1.10"},
    {"total_active_connections", kGauge, "1.13"},
    {"active_mqtt_connections", kGauge, "1.13"},
    {"active_mqttws_connections", kGauge, "1.13"},
    {"client_keepalive_expired", kCounter, "1.10"},
    // MQTT packets.
    {"mqtt_connect_received", kCounter, "1.10"},
    {"mqtt_connack_sent", kCounter, "1.10"},
    {"mqtt_publish_received", kCounter, "1.10"},
    {"mqtt_publish_sent", kCounter, "1.10"},
    {"mqtt_puback_received", kCounter, "1.10"},
    {"mqtt_puback_sent", kCounter, "1.10"},
    {"mqtt_pubrec_received", kCounter, "1.10"},
    {"mqtt_pubrec_sent", kCounter, "1.10"},
    {"mqtt_pubrel_received", kCounter, "1.10"},
    {"mqtt_pubrel_sent", kCounter, "1.10"},
    {"mqtt_pubcomp_received", kCounter, "1.10"},
    {"mqtt_pubcomp_sent", kCounter, "1.10"},
    {"mqtt_subscribe_received", kCounter, "1.10"},
    {"mqtt_suback_sent", kCounter, "1.10"},
    {"mqtt_unsubscribe_received", kCounter, "1.10"},
    {"mqtt_unsuback_sent", kCounter, "1.10"},
    {"mqtt_pingreq_received", kCounter, "1.10"},
    {"mqtt_pingresp_sent", kCounter, "1.10"},
    {"mqtt_disconnect_received", kCounter, "1.10"},
    {"mqtt_disconnect_sent", kCounter, "1.10"},
    {"mqtt_auth_received", kCounter, "1.10"},
    {"mqtt_auth_sent", kCounter, "1.10"},
    // MQTT errors.
    {"mqtt_publish_error", kCounter, "1.10"},
    {"mqtt_publish_auth_error", kCounter, "1.10"},
    {"mqtt_subscribe_error", kCounter, "1.10"},
    {"mqtt_subscribe_auth_error", kCounter, "1.10"},
    {"mqtt_unsubscribe_error", kCounter, "1.10"},
    {"mqtt_invalid_msg_size_error", kCounter, "1.10"},
    {"mqtt_puback_invalid_error", kCounter, "1.10"},
    {"mqtt_pubrec_invalid_error", kCounter, "1.10"},
    {"mqtt_pubcomp_invalid_error", kCounter, "1.10"},
    // Queues.
    {"queue_setup", kCounter, "1.10"},
    {"queue_initialized_from_storage", kCounter, "1.10"},
    {"queue_teardown", kCounter, "1.10"},
    {"queue_message_in", kCounter, "1.10"},
    {"queue_message_out", kCounter, "1.10"},
    {"queue_message_drop", kCounter, "1.10"},
    {"queue_message_expired", kCounter, "1.10"},
    {"queue_message_unhandled", kCounter, "1.10"},
    {"queue_processes", kGauge, "1.10"},
    // Routing and retained messages.
    {"router_subscriptions", kGauge, "1.10"},
    {"router_memory", kGauge, "1.10"},
    {"router_matches_local", kCounter, "1.10"},
    {"router_matches_remote", kCounter, "1.10"},
    {"retain_messages", kGauge, "1.10"},
    {"retain_memory", kGauge, "1.10"},
    // Cluster.
    {"cluster_bytes_received", kCounter, "1.10"},
    {"cluster_bytes_sent", kCounter, "1.10"},
    {"cluster_bytes_dropped", kCounter, "1.10"},
    {"netsplit_detected", kCounter, "1.10"},
    {"netsplit_resolved", kCounter, "1.10"},
    // The Erlang VM. system_wallclock is a counter of milliseconds since the node started; it is
    // read as a level (uptime), and it tells a restart from a gap (series_store.h).
    {"system_context_switches", kCounter, "1.10"},
    {"system_reductions", kCounter, "1.10"},
    {"system_gc_count", kCounter, "1.10"},
    {"system_words_reclaimed_by_gc", kCounter, "1.10"},
    {"system_io_in", kCounter, "1.10"},
    {"system_io_out", kCounter, "1.10"},
    {"system_runtime", kCounter, "1.10"},
    {"system_wallclock", kGauge, "1.10"},
    {"system_run_queue", kGauge, "1.10"},
    {"system_process_count", kGauge, "1.10"},
    {"system_utilization", kGauge, "1.10"},
    {"vm_memory_total", kGauge, "1.10"},
    {"vm_memory_processes", kGauge, "1.10"},
    {"vm_memory_processes_used", kGauge, "1.10"},
    {"vm_memory_system", kGauge, "1.10"},
    {"vm_memory_atom", kGauge, "1.10"},
    {"vm_memory_atom_used", kGauge, "1.10"},
    {"vm_memory_binary", kGauge, "1.10"},
    {"vm_memory_code", kGauge, "1.10"},
    {"vm_memory_ets", kGauge, "1.10"},
    // Latency histograms (2.0 and later), in microseconds.
    {"storage_read_microseconds", kHistogram, "2.0"},
    {"storage_write_microseconds", kHistogram, "2.0"},
    {"storage_scan_microseconds", kHistogram, "2.0"},
    {"metadata_get_microseconds", kHistogram, "2.0"},
    {"metadata_put_microseconds", kHistogram, "2.0"},
    {"metadata_delete_microseconds", kHistogram, "2.0"},
    {"metadata_fold_microseconds", kHistogram, "2.0"},
    // Metadata store (vmq_swc, the default since 2.0), per group meta1..meta10.
    {"swc_object_count", kGauge, "2.0"},
    {"swc_tombstone_count", kGauge, "2.0"},
    {"swc_dotkeymap_memory", kGauge, "2.0"},
    // Plugins, when loaded.
    {"http_pub_published", kCounter, "1.12"},
    {"http_pub_api_error", kCounter, "1.12"},
    {"http_pub_auth_error", kCounter, "1.12"},
    // vmq_webhooks, when loaded: three counters per hook (VerneMQ's hook list and order).
    {"webhooks_on_register_requests", kCounter, "1.12"},
    {"webhooks_on_register_errors", kCounter, "1.12"},
    {"webhooks_on_register_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_register_m5_requests", kCounter, "1.12"},
    {"webhooks_on_register_m5_errors", kCounter, "1.12"},
    {"webhooks_on_register_m5_bytes_sent", kCounter, "1.12"},
    {"webhooks_auth_on_publish_requests", kCounter, "1.12"},
    {"webhooks_auth_on_publish_errors", kCounter, "1.12"},
    {"webhooks_auth_on_publish_bytes_sent", kCounter, "1.12"},
    {"webhooks_auth_on_publish_m5_requests", kCounter, "1.12"},
    {"webhooks_auth_on_publish_m5_errors", kCounter, "1.12"},
    {"webhooks_auth_on_publish_m5_bytes_sent", kCounter, "1.12"},
    {"webhooks_auth_on_register_requests", kCounter, "1.12"},
    {"webhooks_auth_on_register_errors", kCounter, "1.12"},
    {"webhooks_auth_on_register_bytes_sent", kCounter, "1.12"},
    {"webhooks_auth_on_register_m5_requests", kCounter, "1.12"},
    {"webhooks_auth_on_register_m5_errors", kCounter, "1.12"},
    {"webhooks_auth_on_register_m5_bytes_sent", kCounter, "1.12"},
    {"webhooks_auth_on_subscribe_requests", kCounter, "1.12"},
    {"webhooks_auth_on_subscribe_errors", kCounter, "1.12"},
    {"webhooks_auth_on_subscribe_bytes_sent", kCounter, "1.12"},
    {"webhooks_auth_on_subscribe_m5_requests", kCounter, "1.12"},
    {"webhooks_auth_on_subscribe_m5_errors", kCounter, "1.12"},
    {"webhooks_auth_on_subscribe_m5_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_auth_m5_requests", kCounter, "1.12"},
    {"webhooks_on_auth_m5_errors", kCounter, "1.12"},
    {"webhooks_on_auth_m5_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_deliver_requests", kCounter, "1.12"},
    {"webhooks_on_deliver_errors", kCounter, "1.12"},
    {"webhooks_on_deliver_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_deliver_m5_requests", kCounter, "1.12"},
    {"webhooks_on_deliver_m5_errors", kCounter, "1.12"},
    {"webhooks_on_deliver_m5_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_unsubscribe_requests", kCounter, "1.12"},
    {"webhooks_on_unsubscribe_errors", kCounter, "1.12"},
    {"webhooks_on_unsubscribe_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_unsubscribe_m5_requests", kCounter, "1.12"},
    {"webhooks_on_unsubscribe_m5_errors", kCounter, "1.12"},
    {"webhooks_on_unsubscribe_m5_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_publish_requests", kCounter, "1.12"},
    {"webhooks_on_publish_errors", kCounter, "1.12"},
    {"webhooks_on_publish_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_publish_m5_requests", kCounter, "1.12"},
    {"webhooks_on_publish_m5_errors", kCounter, "1.12"},
    {"webhooks_on_publish_m5_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_subscribe_requests", kCounter, "1.12"},
    {"webhooks_on_subscribe_errors", kCounter, "1.12"},
    {"webhooks_on_subscribe_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_subscribe_m5_requests", kCounter, "1.12"},
    {"webhooks_on_subscribe_m5_errors", kCounter, "1.12"},
    {"webhooks_on_subscribe_m5_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_message_drop_requests", kCounter, "1.12"},
    {"webhooks_on_message_drop_errors", kCounter, "1.12"},
    {"webhooks_on_message_drop_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_topic_unsubscribed_requests", kCounter, "1.12"},
    {"webhooks_on_topic_unsubscribed_errors", kCounter, "1.12"},
    {"webhooks_on_topic_unsubscribed_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_session_expired_requests", kCounter, "1.12"},
    {"webhooks_on_session_expired_errors", kCounter, "1.12"},
    {"webhooks_on_session_expired_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_offline_message_requests", kCounter, "1.12"},
    {"webhooks_on_offline_message_errors", kCounter, "1.12"},
    {"webhooks_on_offline_message_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_config_change_requests", kCounter, "1.12"},
    {"webhooks_on_config_change_errors", kCounter, "1.12"},
    {"webhooks_on_config_change_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_client_wakeup_requests", kCounter, "1.12"},
    {"webhooks_on_client_wakeup_errors", kCounter, "1.12"},
    {"webhooks_on_client_wakeup_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_client_offline_requests", kCounter, "1.12"},
    {"webhooks_on_client_offline_errors", kCounter, "1.12"},
    {"webhooks_on_client_offline_bytes_sent", kCounter, "1.12"},
    {"webhooks_on_client_gone_requests", kCounter, "1.12"},
    {"webhooks_on_client_gone_errors", kCounter, "1.12"},
    {"webhooks_on_client_gone_bytes_sent", kCounter, "1.12"},
    // vmq_webhooks' auth hooks, 2.2 and later: requests cancelled (the client went away), timed out,
    // and the milliseconds spent in them.
    {"webhooks_auth_on_register_cancelled", kCounter, "2.2"},
    {"webhooks_auth_on_register_timeouts", kCounter, "2.2"},
    {"webhooks_auth_on_register_elapsed_ms", kCounter, "2.2"},
    {"webhooks_auth_on_register_m5_cancelled", kCounter, "2.2"},
    {"webhooks_auth_on_register_m5_timeouts", kCounter, "2.2"},
    {"webhooks_auth_on_register_m5_elapsed_ms", kCounter, "2.2"},
    // vmq_bridge, when loaded: messages each bridge published to its remote broker and consumed
    // from it, by QoS, named after the bridge (`br0_vmq_bridge_publish_out_1`); and the messages
    // its queue dropped when full (once per bridge client, without a label naming it).
    {"vmq_bridge_publish_out_0", kCounter, "1.12", "bridge"},
    {"vmq_bridge_publish_out_1", kCounter, "1.12", "bridge"},
    {"vmq_bridge_publish_out_2", kCounter, "1.12", "bridge"},
    {"vmq_bridge_publish_in_0", kCounter, "1.12", "bridge"},
    {"vmq_bridge_publish_in_1", kCounter, "1.12", "bridge"},
    {"vmq_bridge_publish_in_2", kCounter, "1.12", "bridge"},
    {"vmq_bridge_dropped_msgs", kCounter, "1.12"},
};

// ---- Reason codes (VerneMQ 2.0.1's order) ------------------------------------------------------

constexpr SV kPubackReasons[] = {"success",
                                 "no_matching_subscribers",
                                 "unspecified_error",
                                 "impl_specific_error",
                                 "not_authorized",
                                 "topic_name_invalid",
                                 "packet_id_in_use",
                                 "quota_exceeded",
                                 "payload_format_invalid"};
constexpr SV kPubrelReasons[] = {"success", "packet_id_not_found"};
constexpr SV kAuthReasons[] = {"success", "continue_authentication", "reauthenticate"};
constexpr SV kConnackV4[] = {"success",
                             "unsupported_protocol_version",
                             "client_identifier_not_valid",
                             "server_unavailable",
                             "bad_username_or_password",
                             "not_authorized"};
constexpr SV kConnackV5[] = {"success",
                             "unspecified_error",
                             "malformed_packet",
                             "protocol_error",
                             "impl_specific_error",
                             "unsupported_protocol_version",
                             "client_identifier_not_valid",
                             "bad_username_or_password",
                             "not_authorized",
                             "server_unavailable",
                             "server_busy",
                             "banned",
                             "bad_authentication_method",
                             "topic_name_invalid",
                             "packet_too_large",
                             "quota_exceeded",
                             "payload_format_invalid",
                             "retain_not_supported",
                             "qos_not_supported",
                             "use_another_server",
                             "server_moved",
                             "connection_rate_exceeded"};
constexpr SV kDisconnectReceived[] = {"normal_disconnect",     "disconnect_with_will_msg", "unspecified_error",
                                      "malformed_packet",      "protocol_error",           "impl_specific_error",
                                      "topic_name_invalid",    "receive_max_exceeded",     "topic_alias_invalid",
                                      "packet_too_large",      "message_rate_too_high",    "quota_exceeded",
                                      "administrative_action", "payload_format_invalid"};
constexpr SV kDisconnectSent[] = {"normal_disconnect",
                                  "unspecified_error",
                                  "malformed_packet",
                                  "protocol_error",
                                  "impl_specific_error",
                                  "not_authorized",
                                  "server_busy",
                                  "server_shutting_down",
                                  "keep_alive_timeout",
                                  "session_taken_over",
                                  "topic_filter_invalid",
                                  "topic_name_invalid",
                                  "receive_max_exceeded",
                                  "topic_alias_invalid",
                                  "packet_too_large",
                                  "message_rate_too_high",
                                  "quota_exceeded",
                                  "administrative_action",
                                  "payload_format_invalid",
                                  "retain_not_supported",
                                  "qos_not_supported",
                                  "use_another_server",
                                  "server_moved",
                                  "shared_subs_not_supported",
                                  "connection_rate_exceeded",
                                  "max_connect_time",
                                  "subscription_ids_not_supported",
                                  "wildcard_subs_not_supported"};

// The refusals among them: MQTT 5 codes of 0x80 and above (no_matching_subscribers, 0x10, is a
// success), and the MQTT 3.1.1 CONNACK return codes other than 0.
constexpr SV kPubackFailures[] = {"unspecified_error",     "impl_specific_error", "not_authorized",
                                  "topic_name_invalid",    "packet_id_in_use",    "quota_exceeded",
                                  "payload_format_invalid"};
constexpr SV kPubrelFailures[] = {"packet_id_not_found"};
constexpr SV kConnackV4Failures[] = {"unsupported_protocol_version", "client_identifier_not_valid",
                                     "server_unavailable", "bad_username_or_password", "not_authorized"};
constexpr std::span<const SV> kConnackV5Failures{kConnackV5 + 1, std::size(kConnackV5) - 1};
// DISCONNECT: what a client or the broker sends in normal operation is not a failure
// (docs/alerts.md says why each is left out).
constexpr SV kDisconnectReceivedFailures[] = {"unspecified_error",   "malformed_packet",      "protocol_error",
                                              "impl_specific_error", "topic_name_invalid",    "receive_max_exceeded",
                                              "topic_alias_invalid", "packet_too_large",      "message_rate_too_high",
                                              "quota_exceeded",      "payload_format_invalid"};
constexpr SV kDisconnectSentFailures[] = {"unspecified_error",
                                          "malformed_packet",
                                          "protocol_error",
                                          "impl_specific_error",
                                          "not_authorized",
                                          "server_busy",
                                          "topic_filter_invalid",
                                          "topic_name_invalid",
                                          "receive_max_exceeded",
                                          "topic_alias_invalid",
                                          "packet_too_large",
                                          "message_rate_too_high",
                                          "quota_exceeded",
                                          "payload_format_invalid",
                                          "retain_not_supported",
                                          "qos_not_supported",
                                          "shared_subs_not_supported",
                                          "connection_rate_exceeded",
                                          "subscription_ids_not_supported",
                                          "wildcard_subs_not_supported"};

// ---- Dimensions -------------------------------------------------------------------------------

constexpr SV kV5 = "mqtt_version=5";
constexpr SV kV4 = "mqtt_version=4";

// Received above the axis, sent mirrored below it.
constexpr Dim in_out(SV id, SV family) { return Dim{id, family, {}, 1, 1, 1}; }
constexpr Dim mirrored(SV id, SV family) { return Dim{id, family, {}, 1, -1, 1}; }
constexpr Dim one(SV id, SV family, long divisor = 1) { return Dim{id, family, {}, 1, 1, divisor}; }
constexpr Dim split_of(SV family, SV match) { return Dim{{}, family, match, 1, 1, 1}; }
constexpr Dim per(SV id, SV family) { return Dim{id, family, {}, 1, 1, 1, true}; }

constexpr Dim kOpenSockets[] = {one("open", "socket_open"), Dim{"open", "socket_close", {}, -1, 1, 1}};
constexpr Dim kConnections[] = {one("total", "total_active_connections"), one("mqtt", "active_mqtt_connections"),
                                one("websocket", "active_mqttws_connections")};
constexpr Dim kSocketOps[] = {in_out("open", "socket_open"), mirrored("close", "socket_close")};
constexpr Dim kKeepalive[] = {one("closed", "client_keepalive_expired")};
constexpr Dim kCloseTimeout[] = {one("closed", "socket_close_timeout")};
constexpr Dim kSocketErrors[] = {one("errors", "socket_error")};
constexpr Dim kSocketErrorRatio[] = {one("errors", "socket_error"), per("errors", "socket_open")};
constexpr Dim kTraffic[] = {in_out("received", "bytes_received"), mirrored("sent", "bytes_sent")};

constexpr Dim kQueueProcesses[] = {one("queue_processes", "queue_processes")};
constexpr Dim kQueueOps[] = {in_out("setup", "queue_setup"), mirrored("teardown", "queue_teardown")};
constexpr Dim kQueueInit[] = {one("initialized", "queue_initialized_from_storage")};
constexpr Dim kQueueMessages[] = {in_out("received", "queue_message_in"), mirrored("sent", "queue_message_out")};
constexpr Dim kUndelivered[] = {one("dropped", "queue_message_drop"), one("expired", "queue_message_expired"),
                                one("unhandled", "queue_message_unhandled")};

constexpr Dim kSubscriptions[] = {one("subscriptions", "router_subscriptions")};
constexpr Dim kMatched[] = {one("local", "router_matches_local"), one("remote", "router_matches_remote")};
constexpr Dim kRouterMemory[] = {one("used", "router_memory")};

constexpr Dim kUtilization[] = {one("utilization", "system_utilization")};
// system_runtime counts milliseconds of CPU: its rate in ms/s divided by 10 is percent of a core.
constexpr Dim kCpu[] = {one("used", "system_runtime", 10)};
constexpr Dim kProcesses[] = {one("processes", "system_process_count")};
constexpr Dim kReductions[] = {one("reductions", "system_reductions")};
constexpr Dim kContextSwitches[] = {one("context_switches", "system_context_switches")};
constexpr Dim kSystemIo[] = {in_out("received", "system_io_in"), mirrored("sent", "system_io_out")};
constexpr Dim kRunQueue[] = {one("ready", "system_run_queue")};
constexpr Dim kGcCount[] = {one("gc", "system_gc_count")};
constexpr Dim kGcWords[] = {one("words_reclaimed", "system_words_reclaimed_by_gc")};
constexpr Dim kAllocated[] = {one("processes", "vm_memory_processes"), one("system", "vm_memory_system")};
constexpr Dim kVmMemory[] = {one("total", "vm_memory_total"),
                             one("processes", "vm_memory_processes"),
                             one("processes_used", "vm_memory_processes_used"),
                             one("system", "vm_memory_system"),
                             one("atom", "vm_memory_atom"),
                             one("atom_used", "vm_memory_atom_used"),
                             one("binary", "vm_memory_binary"),
                             one("code", "vm_memory_code"),
                             one("ets", "vm_memory_ets")};

constexpr Dim kRetainMessages[] = {one("messages", "retain_messages")};
constexpr Dim kRetainMemory[] = {one("used", "retain_memory")};

constexpr Dim kClusterTraffic[] = {in_out("received", "cluster_bytes_received"),
                                   mirrored("sent", "cluster_bytes_sent")};
constexpr Dim kClusterDropped[] = {one("dropped", "cluster_bytes_dropped")};
constexpr Dim kNetsplitUnresolved[] = {one("unresolved", "netsplit_detected"),
                                       Dim{"unresolved", "netsplit_resolved", {}, -1, 1, 1}};
constexpr Dim kNetsplits[] = {one("detected", "netsplit_detected"), one("resolved", "netsplit_resolved")};

constexpr Dim kUptime[] = {one("uptime", "system_wallclock", 1000)};

constexpr Dim kPublish[] = {in_out("received", "mqtt_publish_received"), mirrored("sent", "mqtt_publish_sent")};
constexpr Dim kPublishErrors[] = {one("failed", "mqtt_publish_error")};
constexpr Dim kPublishAuthErrors[] = {one("unauthorized", "mqtt_publish_auth_error")};
// Refused PUBACKs (codes of 0x80 and above) per 100 MQTT 5 PUBACKs sent.
constexpr Dim kPubackRefusedRatio[] = {
    Dim{"refused", "mqtt_puback_sent", kV5, 1, 1, 1, false, "reason_code", kPubackFailures},
    Dim{"refused", "mqtt_puback_sent", kV5, 1, 1, 1, true}};
constexpr Dim kPublishErrorRatio[] = {one("failed", "mqtt_publish_error"), per("failed", "mqtt_publish_received")};
constexpr Dim kInvalidMsgSize[] = {one("invalid", "mqtt_invalid_msg_size_error")};
constexpr Dim kPuback[] = {in_out("received", "mqtt_puback_received"), mirrored("sent", "mqtt_puback_sent")};
constexpr Dim kPubackReceivedBy[] = {split_of("mqtt_puback_received", kV5)};
constexpr Dim kPubackSentBy[] = {split_of("mqtt_puback_sent", kV5)};
constexpr Dim kPubackInvalid[] = {one("unexpected", "mqtt_puback_invalid_error")};
constexpr Dim kPubrec[] = {in_out("received", "mqtt_pubrec_received"), mirrored("sent", "mqtt_pubrec_sent")};
constexpr Dim kPubrecReceivedBy[] = {split_of("mqtt_pubrec_received", kV5)};
constexpr Dim kPubrecSentBy[] = {split_of("mqtt_pubrec_sent", kV5)};
constexpr Dim kPubrecInvalid[] = {one("unexpected", "mqtt_pubrec_invalid_error")};
constexpr Dim kPubrel[] = {in_out("received", "mqtt_pubrel_received"), mirrored("sent", "mqtt_pubrel_sent")};
constexpr Dim kPubrelReceivedBy[] = {split_of("mqtt_pubrel_received", kV5)};
constexpr Dim kPubrelSentBy[] = {split_of("mqtt_pubrel_sent", kV5)};
constexpr Dim kPubcomp[] = {in_out("received", "mqtt_pubcomp_received"), mirrored("sent", "mqtt_pubcomp_sent")};
constexpr Dim kPubcompReceivedBy[] = {split_of("mqtt_pubcomp_received", kV5)};
constexpr Dim kPubcompSentBy[] = {split_of("mqtt_pubcomp_sent", kV5)};
constexpr Dim kPubcompInvalid[] = {one("unexpected", "mqtt_pubcomp_invalid_error")};

constexpr Dim kConnect[] = {in_out("connect", "mqtt_connect_received"), mirrored("connack", "mqtt_connack_sent")};
constexpr Dim kConnackV5By[] = {split_of("mqtt_connack_sent", kV5)};
constexpr Dim kConnackV4By[] = {split_of("mqtt_connack_sent", kV4)};

constexpr Dim kDisconnect[] = {in_out("received", "mqtt_disconnect_received"),
                               mirrored("sent", "mqtt_disconnect_sent")};
constexpr Dim kDisconnectReceivedBy[] = {split_of("mqtt_disconnect_received", kV5)};
constexpr Dim kDisconnectSentBy[] = {split_of("mqtt_disconnect_sent", kV5)};

constexpr Dim kSubscribe[] = {in_out("subscribe", "mqtt_subscribe_received"), mirrored("suback", "mqtt_suback_sent")};
constexpr Dim kSubscribeError[] = {one("failed", "mqtt_subscribe_error")};
constexpr Dim kSubscribeAuthError[] = {one("unauthorized", "mqtt_subscribe_auth_error")};
constexpr Dim kUnsubscribe[] = {in_out("unsubscribe", "mqtt_unsubscribe_received"),
                                mirrored("unsuback", "mqtt_unsuback_sent")};
constexpr Dim kUnsubscribeError[] = {one("failed", "mqtt_unsubscribe_error")};
constexpr Dim kAuth[] = {in_out("received", "mqtt_auth_received"), mirrored("sent", "mqtt_auth_sent")};
constexpr Dim kAuthReceivedBy[] = {split_of("mqtt_auth_received", kV5)};
constexpr Dim kAuthSentBy[] = {split_of("mqtt_auth_sent", kV5)};
constexpr Dim kPing[] = {in_out("pingreq", "mqtt_pingreq_received"), mirrored("pingresp", "mqtt_pingresp_sent")};

// The median, and the slow tail.
constexpr std::array<Dim, 3> quantiles(SV family) {
  return {one("p50", family), one("p90", family), one("p99", family)};
}
constexpr auto kStorageRead = quantiles("storage_read_microseconds");
constexpr auto kStorageWrite = quantiles("storage_write_microseconds");
constexpr auto kStorageScan = quantiles("storage_scan_microseconds");
constexpr auto kMetadataGet = quantiles("metadata_get_microseconds");
constexpr auto kMetadataPut = quantiles("metadata_put_microseconds");
constexpr auto kMetadataDelete = quantiles("metadata_delete_microseconds");
constexpr auto kMetadataFold = quantiles("metadata_fold_microseconds");

constexpr Dim kSwcObjects[] = {split_of("swc_object_count", {})};
constexpr Dim kSwcTombstones[] = {split_of("swc_tombstone_count", {})};
constexpr Dim kSwcDotkeymap[] = {split_of("swc_dotkeymap_memory", {})};

constexpr Dim kHttpPub[] = {one("published", "http_pub_published"), one("api_error", "http_pub_api_error"),
                            one("auth_error", "http_pub_auth_error")};
// vmq_bridge: one dimension per bridge (its QoS 0, 1 and 2 messages summed).
constexpr Dim kBridgeOut[] = {split_of("vmq_bridge_publish_out_0", {}), split_of("vmq_bridge_publish_out_1", {}),
                              split_of("vmq_bridge_publish_out_2", {})};
constexpr Dim kBridgeIn[] = {split_of("vmq_bridge_publish_in_0", {}), split_of("vmq_bridge_publish_in_1", {}),
                             split_of("vmq_bridge_publish_in_2", {})};
constexpr Dim kBridgeDropped[] = {one("dropped", "vmq_bridge_dropped_msgs")};
// vmq_webhooks: one dimension per hook.
constexpr Dim kWebhookRequests[] = {
    one("on_register", "webhooks_on_register_requests"),
    one("on_register_m5", "webhooks_on_register_m5_requests"),
    one("auth_on_publish", "webhooks_auth_on_publish_requests"),
    one("auth_on_publish_m5", "webhooks_auth_on_publish_m5_requests"),
    one("auth_on_register", "webhooks_auth_on_register_requests"),
    one("auth_on_register_m5", "webhooks_auth_on_register_m5_requests"),
    one("auth_on_subscribe", "webhooks_auth_on_subscribe_requests"),
    one("auth_on_subscribe_m5", "webhooks_auth_on_subscribe_m5_requests"),
    one("on_auth_m5", "webhooks_on_auth_m5_requests"),
    one("on_deliver", "webhooks_on_deliver_requests"),
    one("on_deliver_m5", "webhooks_on_deliver_m5_requests"),
    one("on_unsubscribe", "webhooks_on_unsubscribe_requests"),
    one("on_unsubscribe_m5", "webhooks_on_unsubscribe_m5_requests"),
    one("on_publish", "webhooks_on_publish_requests"),
    one("on_publish_m5", "webhooks_on_publish_m5_requests"),
    one("on_subscribe", "webhooks_on_subscribe_requests"),
    one("on_subscribe_m5", "webhooks_on_subscribe_m5_requests"),
    one("on_message_drop", "webhooks_on_message_drop_requests"),
    one("on_topic_unsubscribed", "webhooks_on_topic_unsubscribed_requests"),
    one("on_session_expired", "webhooks_on_session_expired_requests"),
    one("on_offline_message", "webhooks_on_offline_message_requests"),
    one("on_config_change", "webhooks_on_config_change_requests"),
    one("on_client_wakeup", "webhooks_on_client_wakeup_requests"),
    one("on_client_offline", "webhooks_on_client_offline_requests"),
    one("on_client_gone", "webhooks_on_client_gone_requests"),
};
constexpr Dim kWebhookErrors[] = {
    one("on_register", "webhooks_on_register_errors"),
    one("on_register_m5", "webhooks_on_register_m5_errors"),
    one("auth_on_publish", "webhooks_auth_on_publish_errors"),
    one("auth_on_publish_m5", "webhooks_auth_on_publish_m5_errors"),
    one("auth_on_register", "webhooks_auth_on_register_errors"),
    one("auth_on_register_m5", "webhooks_auth_on_register_m5_errors"),
    one("auth_on_subscribe", "webhooks_auth_on_subscribe_errors"),
    one("auth_on_subscribe_m5", "webhooks_auth_on_subscribe_m5_errors"),
    one("on_auth_m5", "webhooks_on_auth_m5_errors"),
    one("on_deliver", "webhooks_on_deliver_errors"),
    one("on_deliver_m5", "webhooks_on_deliver_m5_errors"),
    one("on_unsubscribe", "webhooks_on_unsubscribe_errors"),
    one("on_unsubscribe_m5", "webhooks_on_unsubscribe_m5_errors"),
    one("on_publish", "webhooks_on_publish_errors"),
    one("on_publish_m5", "webhooks_on_publish_m5_errors"),
    one("on_subscribe", "webhooks_on_subscribe_errors"),
    one("on_subscribe_m5", "webhooks_on_subscribe_m5_errors"),
    one("on_message_drop", "webhooks_on_message_drop_errors"),
    one("on_topic_unsubscribed", "webhooks_on_topic_unsubscribed_errors"),
    one("on_session_expired", "webhooks_on_session_expired_errors"),
    one("on_offline_message", "webhooks_on_offline_message_errors"),
    one("on_config_change", "webhooks_on_config_change_errors"),
    one("on_client_wakeup", "webhooks_on_client_wakeup_errors"),
    one("on_client_offline", "webhooks_on_client_offline_errors"),
    one("on_client_gone", "webhooks_on_client_gone_errors"),
};
constexpr Dim kWebhookBytes[] = {
    one("on_register", "webhooks_on_register_bytes_sent"),
    one("on_register_m5", "webhooks_on_register_m5_bytes_sent"),
    one("auth_on_publish", "webhooks_auth_on_publish_bytes_sent"),
    one("auth_on_publish_m5", "webhooks_auth_on_publish_m5_bytes_sent"),
    one("auth_on_register", "webhooks_auth_on_register_bytes_sent"),
    one("auth_on_register_m5", "webhooks_auth_on_register_m5_bytes_sent"),
    one("auth_on_subscribe", "webhooks_auth_on_subscribe_bytes_sent"),
    one("auth_on_subscribe_m5", "webhooks_auth_on_subscribe_m5_bytes_sent"),
    one("on_auth_m5", "webhooks_on_auth_m5_bytes_sent"),
    one("on_deliver", "webhooks_on_deliver_bytes_sent"),
    one("on_deliver_m5", "webhooks_on_deliver_m5_bytes_sent"),
    one("on_unsubscribe", "webhooks_on_unsubscribe_bytes_sent"),
    one("on_unsubscribe_m5", "webhooks_on_unsubscribe_m5_bytes_sent"),
    one("on_publish", "webhooks_on_publish_bytes_sent"),
    one("on_publish_m5", "webhooks_on_publish_m5_bytes_sent"),
    one("on_subscribe", "webhooks_on_subscribe_bytes_sent"),
    one("on_subscribe_m5", "webhooks_on_subscribe_m5_bytes_sent"),
    one("on_message_drop", "webhooks_on_message_drop_bytes_sent"),
    one("on_topic_unsubscribed", "webhooks_on_topic_unsubscribed_bytes_sent"),
    one("on_session_expired", "webhooks_on_session_expired_bytes_sent"),
    one("on_offline_message", "webhooks_on_offline_message_bytes_sent"),
    one("on_config_change", "webhooks_on_config_change_bytes_sent"),
    one("on_client_wakeup", "webhooks_on_client_wakeup_bytes_sent"),
    one("on_client_offline", "webhooks_on_client_offline_bytes_sent"),
    one("on_client_gone", "webhooks_on_client_gone_bytes_sent"),
};
constexpr Dim kWebhookAuthAborted[] = {
    one("cancelled", "webhooks_auth_on_register_cancelled"), one("cancelled", "webhooks_auth_on_register_m5_cancelled"),
    one("timeouts", "webhooks_auth_on_register_timeouts"), one("timeouts", "webhooks_auth_on_register_m5_timeouts")};
constexpr Dim kWebhookAuthTime[] = {one("auth_on_register", "webhooks_auth_on_register_elapsed_ms"),
                                    one("auth_on_register_m5", "webhooks_auth_on_register_m5_elapsed_ms")};

// ---- Charts -----------------------------------------------------------------------------------
// Counts (events in the last minute) for what alerts speak of; rates for traffic; levels as
// they are. Packet charts add MQTT 3.1.1 and 5; reason-code charts are MQTT 5 (CONNACK has both).

constexpr Chart kCharts[] = {
    // The founding chart, as it always was.
    {"mqtt_puback_sent_reason", "MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute", "packets", "mqtt publish",
     "stacked", 70100, count, kPubackSentBy, "reason_code", kPubackReasons, kPubackFailures},
    {"mqtt_puback", "MQTT 3.1.1 and 5 QoS 1 PUBACK", "packets/s", "mqtt publish", "line", 70101, rate, kPuback},

    {"connections", "Open Connections", "connections", "sockets", "line", 70200, gauge, kConnections},
    {"sockets", "Open Sockets (Opened Minus Closed)", "sockets", "sockets", "line", 70201, gauge, kOpenSockets},
    {"socket_operations", "Sockets Opened and Closed", "sockets/s", "sockets", "line", 70202, rate, kSocketOps},
    {"client_keepalive_expired", "Sockets Closed because the Keepalive Expired, in the Last Minute", "sockets",
     "sockets", "line", 70203, count, kKeepalive},
    {"socket_close_timeout", "Sockets Closed without a CONNECT in Time, in the Last Minute", "sockets", "sockets",
     "line", 70204, count, kCloseTimeout},
    {"socket_errors", "Socket Errors in the Last Minute", "errors", "sockets", "line", 70205, count, kSocketErrors},
    {"socket_error_ratio", "Socket Errors per 100 Sockets Opened in the Last 5 Minutes", "percentage", "sockets",
     "line", 70206, ratio, kSocketErrorRatio},

    {"queue_processes", "Queue Processes (Online and Offline Sessions)", "queue processes", "queues", "line", 70300,
     gauge, kQueueProcesses},
    {"queue_processes_operations", "Queue Processes Set Up and Torn Down", "events/s", "queues", "line", 70301, rate,
     kQueueOps},
    {"queue_process_init_from_storage", "Queue Processes Initialized from Offline Storage", "queue processes/s",
     "queues", "line", 70302, rate, kQueueInit},
    {"queue_messages", "Messages Into and Out of Queues", "messages/s", "queues", "area", 70303, rate, kQueueMessages},
    {"queue_undelivered_messages", "Undelivered Messages in the Last Minute", "messages", "queues", "stacked", 70304,
     count, kUndelivered},

    {"router_subscriptions", "Subscriptions in the Routing Table", "subscriptions", "subscriptions", "line", 70400,
     gauge, kSubscriptions},
    {"router_matched_subscriptions", "Matched Subscriptions", "subscriptions/s", "subscriptions", "line", 70401, rate,
     kMatched},
    {"router_memory", "Routing Table Memory", "bytes", "subscriptions", "area", 70402, gauge, kRouterMemory},

    {"average_scheduler_utilization", "Average Scheduler Utilization", "percentage", "erlang vm", "area", 70500, gauge,
     kUtilization},
    {"system_cpu", "CPU Time Used by the Erlang VM", "percentage", "erlang vm", "area", 70501, rate, kCpu},
    {"system_processes", "Erlang Processes", "processes", "erlang vm", "line", 70502, gauge, kProcesses},
    {"system_run_queue", "Processes Ready to Run on All Run Queues", "processes", "erlang vm", "line", 70503, gauge,
     kRunQueue},
    {"system_reductions", "Reductions", "ops/s", "erlang vm", "line", 70504, rate, kReductions},
    {"system_context_switches", "Context Switches", "ops/s", "erlang vm", "line", 70505, rate, kContextSwitches},
    {"system_io", "Traffic through Ports", "bytes/s", "erlang vm", "area", 70506, rate, kSystemIo},
    {"system_gc_count", "Garbage Collections", "ops/s", "erlang vm", "line", 70507, rate, kGcCount},
    {"system_gc_words_reclaimed", "Words Reclaimed by Garbage Collection", "ops/s", "erlang vm", "line", 70508, rate,
     kGcWords},
    {"system_allocated_memory", "Memory Allocated by Erlang Processes and the Emulator", "bytes", "erlang vm",
     "stacked", 70509, gauge, kAllocated},
    {"vm_memory", "Erlang VM Memory", "bytes", "erlang vm", "line", 70510, gauge, kVmMemory},

    {"bandwidth", "Node Traffic", "bytes/s", "traffic", "area", 70600, rate, kTraffic},

    {"retain_messages", "Stored Retained Messages", "messages", "retain", "line", 70700, gauge, kRetainMessages},
    {"retain_memory", "Stored Retained Messages Memory", "bytes", "retain", "area", 70701, gauge, kRetainMemory},

    {"cluster_bandwidth", "Traffic with Other Cluster Nodes", "bytes/s", "cluster", "area", 70800, rate,
     kClusterTraffic},
    {"cluster_dropped", "Bytes Dropped in Traffic with Other Cluster Nodes in the Last Minute", "bytes", "cluster",
     "area", 70801, count, kClusterDropped},
    {"netsplit_unresolved", "Unresolved Netsplits (Detected Minus Resolved)", "netsplits", "cluster", "line", 70802,
     gauge, kNetsplitUnresolved},
    {"netsplits", "Netsplits in the Last Minute", "netsplits", "cluster", "stacked", 70803, count, kNetsplits},

    {"uptime", "Node Uptime", "seconds", "uptime", "line", 70850, gauge, kUptime},

    {"mqtt_publish", "MQTT QoS 0, 1, 2 PUBLISH", "packets/s", "mqtt publish", "line", 71000, rate, kPublish},
    {"mqtt_publish_errors", "PUBLISH Failed because of a Netsplit, in the Last Minute", "operations", "mqtt publish",
     "line", 71001, count, kPublishErrors},
    {"mqtt_publish_auth_errors", "Unauthorized PUBLISH Attempts in the Last Minute", "attempts", "mqtt publish", "line",
     71002, count, kPublishAuthErrors},
    {"mqtt_publish_error_ratio", "PUBLISH Failed per 100 PUBLISH Received in the Last 5 Minutes", "percentage",
     "mqtt publish", "line", 71004, ratio, kPublishErrorRatio},
    {"mqtt_invalid_msg_size_error", "Packets Refused for Their Size in the Last Minute", "packets", "mqtt publish",
     "line", 71003, count, kInvalidMsgSize},
    {"mqtt_puback_refused_ratio", "MQTT 5 PUBACK Refusals per 100 PUBACK Sent in the Last 5 Minutes", "percentage",
     "mqtt publish", "line", 71005, ratio, kPubackRefusedRatio},
    {"mqtt_puback_received_reason", "MQTT 5 PUBACK QoS 1 Received by Reason in the Last Minute", "packets",
     "mqtt publish", "stacked", 71010, count, kPubackReceivedBy, "reason_code", kPubackReasons, kPubackFailures},
    {"mqtt_puback_invalid_error", "Unexpected PUBACK QoS 1 Received in the Last Minute", "messages", "mqtt publish",
     "line", 71011, count, kPubackInvalid},
    {"mqtt_pubrec", "MQTT QoS 2 PUBREC", "packets/s", "mqtt publish", "line", 71020, rate, kPubrec},
    {"mqtt_pubrec_received_reason", "MQTT 5 PUBREC QoS 2 Received by Reason in the Last Minute", "packets",
     "mqtt publish", "stacked", 71021, count, kPubrecReceivedBy, "reason_code", kPubackReasons, kPubackFailures},
    {"mqtt_pubrec_sent_reason", "MQTT 5 PUBREC QoS 2 Sent by Reason in the Last Minute", "packets", "mqtt publish",
     "stacked", 71022, count, kPubrecSentBy, "reason_code", kPubackReasons, kPubackFailures},
    {"mqtt_pubrec_invalid_error", "Unexpected PUBREC QoS 2 Received in the Last Minute", "messages", "mqtt publish",
     "line", 71023, count, kPubrecInvalid},
    {"mqtt_pubrel", "MQTT QoS 2 PUBREL", "packets/s", "mqtt publish", "line", 71030, rate, kPubrel},
    {"mqtt_pubrel_received_reason", "MQTT 5 PUBREL QoS 2 Received by Reason in the Last Minute", "packets",
     "mqtt publish", "stacked", 71031, count, kPubrelReceivedBy, "reason_code", kPubrelReasons, kPubrelFailures},
    {"mqtt_pubrel_sent_reason", "MQTT 5 PUBREL QoS 2 Sent by Reason in the Last Minute", "packets", "mqtt publish",
     "stacked", 71032, count, kPubrelSentBy, "reason_code", kPubrelReasons, kPubrelFailures},
    {"mqtt_pubcomp", "MQTT QoS 2 PUBCOMP", "packets/s", "mqtt publish", "line", 71040, rate, kPubcomp},
    {"mqtt_pubcomp_received_reason", "MQTT 5 PUBCOMP QoS 2 Received by Reason in the Last Minute", "packets",
     "mqtt publish", "stacked", 71041, count, kPubcompReceivedBy, "reason_code", kPubrelReasons, kPubrelFailures},
    {"mqtt_pubcomp_sent_reason", "MQTT 5 PUBCOMP QoS 2 Sent by Reason in the Last Minute", "packets", "mqtt publish",
     "stacked", 71042, count, kPubcompSentBy, "reason_code", kPubrelReasons, kPubrelFailures},
    {"mqtt_pubcomp_invalid_error", "Unexpected PUBCOMP QoS 2 Received in the Last Minute", "messages", "mqtt publish",
     "line", 71043, count, kPubcompInvalid},

    {"mqtt_connect", "MQTT CONNECT and CONNACK", "packets/s", "mqtt connect", "line", 71100, rate, kConnect},
    {"mqtt_connack_sent_reason", "MQTT 5 CONNACK Sent by Reason in the Last Minute", "packets", "mqtt connect",
     "stacked", 71101, count, kConnackV5By, "reason_code", kConnackV5, kConnackV5Failures},
    {"mqtt_connack_sent_return_code", "MQTT 3.1.1 CONNACK Sent by Return Code in the Last Minute", "packets",
     "mqtt connect", "stacked", 71102, count, kConnackV4By, "return_code", kConnackV4, kConnackV4Failures},

    {"mqtt_disconnect", "MQTT DISCONNECT", "packets/s", "mqtt disconnect", "line", 71200, rate, kDisconnect},
    {"mqtt_disconnect_received_reason", "MQTT 5 DISCONNECT Received by Reason in the Last Minute", "packets",
     "mqtt disconnect", "stacked", 71201, count, kDisconnectReceivedBy, "reason_code", kDisconnectReceived,
     kDisconnectReceivedFailures},
    {"mqtt_disconnect_sent_reason", "MQTT 5 DISCONNECT Sent by Reason in the Last Minute", "packets", "mqtt disconnect",
     "stacked", 71202, count, kDisconnectSentBy, "reason_code", kDisconnectSent, kDisconnectSentFailures},

    {"mqtt_subscribe", "MQTT SUBSCRIBE and SUBACK", "packets/s", "mqtt subscribe", "line", 71300, rate, kSubscribe},
    {"mqtt_subscribe_error", "SUBSCRIBE Failed because of a Netsplit, in the Last Minute", "operations",
     "mqtt subscribe", "line", 71301, count, kSubscribeError},
    {"mqtt_subscribe_auth_error", "Unauthorized SUBSCRIBE Attempts in the Last Minute", "attempts", "mqtt subscribe",
     "line", 71302, count, kSubscribeAuthError},
    {"mqtt_unsubscribe", "MQTT UNSUBSCRIBE and UNSUBACK", "packets/s", "mqtt subscribe", "line", 71310, rate,
     kUnsubscribe},
    {"mqtt_unsubscribe_error", "UNSUBSCRIBE Failed because of a Netsplit, in the Last Minute", "operations",
     "mqtt subscribe", "line", 71311, count, kUnsubscribeError},

    {"mqtt_auth", "MQTT 5 AUTH", "packets/s", "mqtt auth", "line", 71400, rate, kAuth},
    {"mqtt_auth_received_reason", "MQTT 5 AUTH Received by Reason in the Last Minute", "packets", "mqtt auth",
     "stacked", 71401, count, kAuthReceivedBy, "reason_code", kAuthReasons},
    {"mqtt_auth_sent_reason", "MQTT 5 AUTH Sent by Reason in the Last Minute", "packets", "mqtt auth", "stacked", 71402,
     count, kAuthSentBy, "reason_code", kAuthReasons},

    {"mqtt_ping", "MQTT PINGREQ and PINGRESP", "packets/s", "mqtt ping", "line", 71500, rate, kPing},

    {"storage_read_latency", "Message Store Read Latency in the Last Minute", "microseconds", "storage", "line", 71520,
     quantile, kStorageRead},
    {"storage_write_latency", "Message Store Write Latency in the Last Minute", "microseconds", "storage", "line",
     71521, quantile, kStorageWrite},
    {"storage_scan_latency", "Message Store Scan Latency in the Last Minute", "microseconds", "storage", "line", 71522,
     quantile, kStorageScan},
    {"metadata_get_latency", "Metadata Get Latency in the Last Minute", "microseconds", "metadata", "line", 71530,
     quantile, kMetadataGet},
    {"metadata_put_latency", "Metadata Put Latency in the Last Minute", "microseconds", "metadata", "line", 71531,
     quantile, kMetadataPut},
    {"metadata_delete_latency", "Metadata Delete Latency in the Last Minute", "microseconds", "metadata", "line", 71532,
     quantile, kMetadataDelete},
    {"metadata_fold_latency", "Metadata Fold Latency in the Last Minute", "microseconds", "metadata", "line", 71533,
     quantile, kMetadataFold},
    {"swc_objects", "Metadata Objects by SWC Group", "objects", "metadata", "stacked", 71550, gauge, kSwcObjects,
     "group"},
    {"swc_tombstones", "Metadata Tombstones by SWC Group", "tombstones", "metadata", "stacked", 71551, gauge,
     kSwcTombstones, "group"},
    {"swc_dotkeymap_memory", "Metadata Dot-Key Map Memory by SWC Group", "bytes", "metadata", "stacked", 71552, gauge,
     kSwcDotkeymap, "group"},

    {"http_pub", "HTTP Publish API (vmq_http_pub)", "requests/s", "plugins", "line", 71600, rate, kHttpPub},
    {"webhooks_requests", "Webhook Requests by Hook (vmq_webhooks)", "requests/s", "plugins", "line", 71610, rate,
     kWebhookRequests},
    {"webhooks_errors", "Webhook Errors by Hook in the Last Minute (vmq_webhooks)", "errors", "plugins", "line", 71611,
     count, kWebhookErrors},
    {"webhooks_bytes_sent", "Bytes Sent to Webhooks by Hook (vmq_webhooks)", "bytes/s", "plugins", "line", 71612, rate,
     kWebhookBytes},
    {"webhooks_auth_aborted", "Webhook Auth Requests Cancelled or Timed Out in the Last Minute (vmq_webhooks)",
     "requests", "plugins", "line", 71613, count, kWebhookAuthAborted},
    {"webhooks_auth_time", "Time Spent in Webhook Auth Requests (vmq_webhooks)", "milliseconds/s", "plugins", "line",
     71614, rate, kWebhookAuthTime},
    {"bridge_published", "Messages Bridges Published to Their Remote Brokers (vmq_bridge)", "messages/s", "plugins",
     "line", 71620, rate, kBridgeOut, "bridge"},
    {"bridge_consumed", "Messages Bridges Consumed from Their Remote Brokers (vmq_bridge)", "messages/s", "plugins",
     "line", 71621, rate, kBridgeIn, "bridge"},
    {"bridge_dropped", "Bridge Messages Dropped in the Last Minute, Queue Full (vmq_bridge)", "messages", "plugins",
     "line", 71622, count, kBridgeDropped},
};

struct ReasonList {
  SV family;
  int version;
  std::span<const SV> codes;
};
constexpr ReasonList kReasonLists[] = {
    {"mqtt_puback_sent", 5, kPubackReasons},
    {"mqtt_puback_received", 5, kPubackReasons},
    {"mqtt_pubrec_sent", 5, kPubackReasons},
    {"mqtt_pubrec_received", 5, kPubackReasons},
    {"mqtt_pubrel_sent", 5, kPubrelReasons},
    {"mqtt_pubrel_received", 5, kPubrelReasons},
    {"mqtt_pubcomp_sent", 5, kPubrelReasons},
    {"mqtt_pubcomp_received", 5, kPubrelReasons},
    {"mqtt_connack_sent", 5, kConnackV5},
    {"mqtt_connack_sent", 4, kConnackV4},
    {"mqtt_disconnect_received", 5, kDisconnectReceived},
    {"mqtt_disconnect_sent", 5, kDisconnectSent},
    {"mqtt_auth_sent", 5, kAuthReasons},
    {"mqtt_auth_received", 5, kAuthReasons},
};

}  // namespace

constexpr std::string_view kDeprecatedConnack = "deprecated: mqtt_connack_sent's return_code says the same";
constexpr LeftOut kLeftOut[] = {
    {"mqtt_connack_accepted_sent", FamilyType::counter, true, kDeprecatedConnack},
    {"mqtt_connack_unacceptable_protocol_sent", FamilyType::counter, true, kDeprecatedConnack},
    {"mqtt_connack_identifier_rejected_sent", FamilyType::counter, true, kDeprecatedConnack},
    {"mqtt_connack_server_unavailable_sent", FamilyType::counter, true, kDeprecatedConnack},
    {"mqtt_connack_bad_credentials_sent", FamilyType::counter, true, kDeprecatedConnack},
    {"mqtt_connack_not_authorized_sent", FamilyType::counter, true, kDeprecatedConnack},
    {"client_expired", FamilyType::counter, false, "deprecated, never incremented"},
    {"system_exact_reductions", FamilyType::counter, false, "system_reductions is charted"},
};

std::span<const LeftOut> left_out() { return kLeftOut; }

bool from_a_plugin(std::string_view family) {
  for (const Chart& c : kCharts) {
    for (const Dim& d : c.dims) {
      if (d.family == family) return c.family == "plugins";
    }
  }
  return false;
}
std::span<const Family> families() { return kFamilies; }
std::span<const Chart> charts() { return kCharts; }

namespace {

// Open addressing, linear probing, at most a quarter full, built once.
constexpr std::size_t kFamilySlots = 1024;
static_assert(4 * std::size(kFamilies) <= kFamilySlots && std::size(kFamilies) < 0xffff);
constexpr std::uint16_t kEmptySlot = 0xffff;

}  // namespace

std::optional<std::size_t> find_family(std::string_view name) {
  // The extraction looks up every new metric name of a body: one hash and, mostly, one compare.
  static const auto slots = [] {
    std::array<std::uint16_t, kFamilySlots> t{};
    t.fill(kEmptySlot);
    for (std::size_t f = 0; f < std::size(kFamilies); ++f) {
      std::size_t i = text_hash(kFamilies[f].name) % kFamilySlots;
      while (t[i] != kEmptySlot) i = (i + 1) % kFamilySlots;
      t[i] = static_cast<std::uint16_t>(f);
    }
    return t;
  }();
  for (std::size_t i = text_hash(name) % kFamilySlots;; i = (i + 1) % kFamilySlots) {
    const std::uint16_t f = slots[i];
    if (f == kEmptySlot) return std::nullopt;
    if (kFamilies[f].name == name) return f;
  }
}

std::optional<NamedFamily> find_named_family(std::string_view name) {
  static const std::vector<std::size_t> named = [] {
    std::vector<std::size_t> v;
    for (std::size_t f = 0; f < std::size(kFamilies); ++f) {
      if (!kFamilies[f].named_by.empty()) v.push_back(f);
    }
    return v;
  }();
  for (const std::size_t f : named) {
    const SV suffix = kFamilies[f].name;
    if (name.size() < suffix.size() + 2 || !name.ends_with(suffix)) continue;
    const std::size_t instance_size = name.size() - suffix.size() - 1;
    if (name[instance_size] == '_') return NamedFamily{f, name.substr(0, instance_size)};
  }
  return std::nullopt;
}

std::optional<std::size_t> find_chart(std::string_view id) {
  for (std::size_t i = 0; i < std::size(kCharts); ++i) {
    if (kCharts[i].id == id) return i;
  }
  return std::nullopt;
}

std::optional<double> quantile_of(std::string_view dim_id) {
  if (dim_id.size() < 3 || dim_id[0] != 'p' || dim_id.size() > 8) return std::nullopt;
  double q = 0, scale = 0.1;
  for (const char c : dim_id.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    q += (c - '0') * scale;
    scale /= 10;
  }
  return q;
}

std::string context_of(const Chart& chart) { return "vernemq." + std::string(chart.id); }

std::span<const std::string_view> reason_codes(std::string_view family, int mqtt_version) {
  for (const ReasonList& r : kReasonLists) {
    if (r.family == family && r.version == mqtt_version) return r.codes;
  }
  return {};
}

std::optional<std::string_view> label_value(std::string_view labels, std::string_view name) {
  while (!labels.empty()) {
    const std::size_t end = std::min(labels.find(kLabelSeparator), labels.size());
    const std::string_view pair = labels.substr(0, end);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    labels.remove_prefix(std::min(end + 1, labels.size()));
  }
  return std::nullopt;
}

bool dim_reads(const Dim& dim, std::string_view labels) {
  if (!labels_match(labels, dim.match)) return false;
  if (dim.among_label.empty()) return true;
  const std::optional<std::string_view> v = label_value(labels, dim.among_label);
  return v && std::find(dim.among.begin(), dim.among.end(), *v) != dim.among.end();
}

bool labels_match(std::string_view labels, std::string_view match) {
  if (match.empty()) return true;
  const std::size_t eq = match.find('=');
  const std::optional<std::string_view> v = label_value(labels, match.substr(0, eq));
  return v && *v == match.substr(eq + 1);
}

}  // namespace vmq::catalogue
