# SPDX-License-Identifier: GPL-3.0-or-later
# Health files: one source per file, health.d/NAME.conf.in, written in Netdata v2's syntax, rendered
# at configure time into BUILD/health.d/NAME.conf for the layout's Netdata, and installed from there.
#
# Why: no single text reads right on both versions (netdata-v2.md §5, §8.9). 1.37 fills only
# `$label:NAME` (ended by a space or the end of the line) and shows `${label:NAME}` raw; v2 (and
# 1.38+) fills only `${label:NAME}`. 1.37 does not know `summary:` and logs an error for it on
# every health load.
#
# The rules, for 1.37 (for v2 the source is installed as it is, after the same checks):
#   ${label:NAME}   becomes $label:NAME; it must be followed by a space or the end of its line
#                   (configure fails otherwise: 1.37 would print the rest of the word raw)
#   summary: ...    the line is dropped (v2's short title; 1.37 shows `info:`)
#   chart labels:   configure fails: 1.37 cannot filter on labels, the alert would match more charts
# Every source is also refused when it holds 1.37-only syntax: `$label:NAME` without braces,
# `families:` / `charts:` (ignored by v2, so the alert would match more widely there).

function(vmq_render_health src dst syntax)
  file(READ "${src}" text)
  get_filename_component(name "${src}" NAME)
  # The checks read the keys and values only; comments are documentation.
  string(REGEX REPLACE "(^|\n)[ \t]*#[^\n]*" "\\1" body "${text}")
  if(body MATCHES "\\$label:")
    message(FATAL_ERROR "${name}: `$label:` is 1.37-only syntax; write `\${label:NAME}` (rendered per layout)")
  endif()
  if(body MATCHES "(^|\n)[ \t]*(families|charts):")
    message(FATAL_ERROR "${name}: `${CMAKE_MATCH_2}:` is ignored by Netdata v2; filter with `chart labels:` or `plugin:`")
  endif()
  if(syntax STREQUAL "1.37")
    if(body MATCHES "(^|\n)[ \t]*chart labels:")
      message(FATAL_ERROR "${name}: `chart labels:` cannot be rendered for Netdata 1.37 (no label filter there)")
    endif()
    if(body MATCHES "\\\$\\{label:[A-Za-z0-9_]+\\}[^ \t\n]")
      message(FATAL_ERROR "${name}: `\${label:NAME}` must be followed by a space or the end of the line "
                          "(Netdata 1.37 reads `$label:NAME` up to a space)")
    endif()
    # A newline in front lets the first line match like the others; it is taken off again.
    string(REGEX REPLACE "\n[ \t]*summary:[^\n]*" "" text "\n${text}")
    string(SUBSTRING "${text}" 1 -1 text)
    string(REGEX REPLACE "\\\$\\{label:([A-Za-z0-9_]+)\\}" "$label:\\1" text "${text}")
  elseif(NOT syntax STREQUAL "v2")
    message(FATAL_ERROR "vmq_render_health: unknown syntax '${syntax}'")
  endif()
  file(WRITE "${dst}" "${text}")
  # Re-render when the source changes (not in `cmake -P`, where the tests call this function).
  if(NOT CMAKE_SCRIPT_MODE_FILE)
    set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${src}")
  endif()
endfunction()
