# SPDX-License-Identifier: GPL-3.0-or-later
# Install rules: where Netdata looks for a plugin, its stock configuration and its alerts, per
# layout (cmake/netdata_layout.cmake picks the layout and the directories); DESTDIR works as usual
# (DESTDIR=/tmp/x cmake --install build).
#
#   VMQ_NETDATA_PLUGINS_DIR        vernemq.plugin          Netdata runs every *.plugin found here
#   VMQ_NETDATA_STOCK_CONFIG_DIR   vernemq.conf            the stock job file the plugin falls back to
#   VMQ_NETDATA_USER_CONFIG_DIR    health.d/*.conf         rendered for the layout (render_health.cmake)
#
# Why the alerts go to the *user* health directory, under their own names: Netdata's stock
# health.d/vernemq.conf (in every Netdata install) defines templates with the same names for
# go.d's charts. Netdata reads the user health directory before the stock one: on 1.37 the first
# template of a name wins, on v2 the first variant that matches a chart wins, so a file there wins
# on this plugin's charts deterministically (the order of files within one directory is readdir's,
# so a second stock file could not). A user file named vernemq.conf would hide the whole stock
# file and its 25 other VerneMQ alerts; a different name keeps them.

include(${CMAKE_CURRENT_LIST_DIR}/netdata_layout.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/render_health.cmake)

option(VMQ_INSTALL_HEALTH "Install the alerts into the user health directory (they replace edited copies)" ON)

install(TARGETS vernemq.plugin
        RUNTIME DESTINATION "${VMQ_NETDATA_PLUGINS_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
install(FILES "${PROJECT_SOURCE_DIR}/conf.d/vernemq.conf"
        DESTINATION "${VMQ_NETDATA_STOCK_CONFIG_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Every health.d/*.conf.in, rendered for this layout's Netdata into BUILD/health.d/.
file(GLOB VMQ_HEALTH_SOURCES CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/health.d/*.conf.in")
set(VMQ_HEALTH_FILES "")
file(REMOVE_RECURSE "${PROJECT_BINARY_DIR}/health.d")  # no stale file of a removed source
foreach(src ${VMQ_HEALTH_SOURCES})
  get_filename_component(name "${src}" NAME)
  string(REGEX REPLACE "\\.in$" "" name "${name}")
  vmq_render_health("${src}" "${PROJECT_BINARY_DIR}/health.d/${name}" "${VMQ_NETDATA_HEALTH_SYNTAX}")
  list(APPEND VMQ_HEALTH_FILES "${PROJECT_BINARY_DIR}/health.d/${name}")
endforeach()
if(VMQ_INSTALL_HEALTH)
  install(FILES ${VMQ_HEALTH_FILES}
          DESTINATION "${VMQ_NETDATA_USER_CONFIG_DIR}/health.d"
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
