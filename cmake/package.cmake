# SPDX-License-Identifier: GPL-3.0-or-later
# `cpack -G DEB` in the build tree: a Debian package of this build's layout (what configuration
# management installs with `apt-get install ./vernemq-plugin_VERSION_ARCH.deb`).
#
# The files are the install rules' own (absolute destinations, cmake/install.cmake). The health
# files under the user config directory are conffiles: `apt-get remove` keeps them (and dpkg asks
# before replacing an edited one on upgrade); only `purge` removes them. The user's own job file
# ($NETDATA_USER_CONFIG_DIR/vernemq.conf) is never in the package, so no removal touches it.
# Depends: the layout's Netdata package (none for the static install, which dpkg does not know),
# plus the shared libraries dpkg-shlibdeps finds.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vernemq-plugin)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Netdata plugin: VerneMQ's refused MQTT 5 PUBACKs in the last minute")
set(CPACK_PACKAGE_CONTACT "vernemq.plugin maintainers <vernemq-plugin@localhost>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_LICENSE "GPL-3.0-or-later")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)  # the debug info stays in the build tree
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
if(VMQ_NETDATA_LAYOUT STREQUAL "debian-1.37")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "netdata-core | netdata")
elseif(VMQ_NETDATA_LAYOUT STREQUAL "v2-native")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "netdata (>= 2.0)")
endif()

set(_vmq_conffiles "")
if(VMQ_INSTALL_HEALTH)
  foreach(f ${VMQ_HEALTH_FILES})
    get_filename_component(name "${f}" NAME)
    string(APPEND _vmq_conffiles "${VMQ_NETDATA_USER_CONFIG_DIR}/health.d/${name}\n")
  endforeach()
endif()
file(WRITE "${PROJECT_BINARY_DIR}/debian/conffiles" "${_vmq_conffiles}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_BINARY_DIR}/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
