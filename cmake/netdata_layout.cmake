# SPDX-License-Identifier: GPL-3.0-or-later
# Which Netdata the install is for, and where that Netdata looks for a plugin, its stock
# configuration and its alerts (netdata-v2.md §5: `dpkg -L netdata-core`, v2's CMakeLists and
# makeself installer).
#
#   VMQ_NETDATA_LAYOUT   debian-1.37 | v2-native | v2-static
#
# When it is not given, it is detected at configure time from what is installed under
# VMQ_NETDATA_DETECT_ROOT (default /), first match wins:
#   1. /usr/libexec/netdata/plugins.d               -> v2-native  (Netdata's own deb/rpm packages)
#   2. /opt/netdata/usr/libexec/netdata/plugins.d   -> v2-static  (kickstart's static install)
#   3. /usr/lib/netdata/plugins.d                   -> debian-1.37 (Debian 12's netdata-core)
#   4. nothing installed                            -> debian-1.37 (Debian 12 is the build host)
#
# Each directory is a cache variable of its own; a value given with -D wins over the layout's.
# A directory still equal to the previous layout's default follows a changed layout, so
# re-configuring with another -DVMQ_NETDATA_LAYOUT needs no other flag.

set(VMQ_NETDATA_LAYOUTS debian-1.37 v2-native v2-static)
set(VMQ_NETDATA_DETECT_ROOT "/" CACHE PATH "Where configure looks for an installed Netdata to pick VMQ_NETDATA_LAYOUT")

function(vmq_detect_netdata_layout out)
  set(root "${VMQ_NETDATA_DETECT_ROOT}")
  if(IS_DIRECTORY "${root}/usr/libexec/netdata/plugins.d")
    set(${out} v2-native PARENT_SCOPE)
  elseif(IS_DIRECTORY "${root}/opt/netdata/usr/libexec/netdata/plugins.d")
    set(${out} v2-static PARENT_SCOPE)
  else()
    set(${out} debian-1.37 PARENT_SCOPE)
  endif()
endfunction()

if(NOT VMQ_NETDATA_LAYOUT)
  vmq_detect_netdata_layout(_vmq_detected)
  set(VMQ_NETDATA_LAYOUT "${_vmq_detected}" CACHE STRING "Netdata layout: debian-1.37, v2-native or v2-static")
  message(STATUS "VMQ_NETDATA_LAYOUT: ${VMQ_NETDATA_LAYOUT} (detected under ${VMQ_NETDATA_DETECT_ROOT})")
else()
  set(VMQ_NETDATA_LAYOUT "${VMQ_NETDATA_LAYOUT}" CACHE STRING "Netdata layout: debian-1.37, v2-native or v2-static")
  message(STATUS "VMQ_NETDATA_LAYOUT: ${VMQ_NETDATA_LAYOUT}")
endif()
set_property(CACHE VMQ_NETDATA_LAYOUT PROPERTY STRINGS ${VMQ_NETDATA_LAYOUTS})
if(NOT VMQ_NETDATA_LAYOUT IN_LIST VMQ_NETDATA_LAYOUTS)
  message(FATAL_ERROR "VMQ_NETDATA_LAYOUT is '${VMQ_NETDATA_LAYOUT}'; expected one of: ${VMQ_NETDATA_LAYOUTS}")
endif()

# The table: layout -> plugins, stock config, user config, health syntax (the Netdata version
# family the health files are rendered for). The static install's plugin goes to
# custom-plugins.d under its user config directory: Netdata scans it by default, and a static
# update replaces the /opt/netdata/usr tree but keeps /opt/netdata/etc.
if(VMQ_NETDATA_LAYOUT STREQUAL "debian-1.37")
  set(_vmq_plugins "/usr/lib/netdata/plugins.d")
  set(_vmq_stock "/usr/lib/netdata/conf.d")
  set(_vmq_user "/etc/netdata")
  set(_vmq_health_syntax "1.37")
elseif(VMQ_NETDATA_LAYOUT STREQUAL "v2-native")
  set(_vmq_plugins "/usr/libexec/netdata/plugins.d")
  set(_vmq_stock "/usr/lib/netdata/conf.d")
  set(_vmq_user "/etc/netdata")
  set(_vmq_health_syntax "v2")
else()
  set(_vmq_plugins "/opt/netdata/etc/netdata/custom-plugins.d")
  set(_vmq_stock "/opt/netdata/usr/lib/netdata/conf.d")
  set(_vmq_user "/opt/netdata/etc/netdata")
  set(_vmq_health_syntax "v2")
endif()

# Sets cache variable `var` to `default` unless the user gave another value: a value equal to the
# default of the layout last configured counts as not given.
macro(vmq_layout_dir var default help)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "" OR "${${var}}" STREQUAL "${_VMQ_LAST_DEFAULT_${var}}")
    set(${var} "${default}" CACHE PATH "${help}" FORCE)
  else()
    set(${var} "${${var}}" CACHE PATH "${help}")
  endif()
  set(_VMQ_LAST_DEFAULT_${var} "${default}" CACHE INTERNAL "")
endmacro()

vmq_layout_dir(VMQ_NETDATA_PLUGINS_DIR "${_vmq_plugins}" "Where Netdata runs plugins from (default: the layout's)")
vmq_layout_dir(VMQ_NETDATA_STOCK_CONFIG_DIR "${_vmq_stock}" "Netdata's stock configuration directory (default: the layout's)")
vmq_layout_dir(VMQ_NETDATA_USER_CONFIG_DIR "${_vmq_user}" "Netdata's user configuration directory; alerts go to its health.d (default: the layout's)")
set(VMQ_NETDATA_HEALTH_SYNTAX "${_vmq_health_syntax}")
