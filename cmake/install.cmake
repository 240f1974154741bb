# Installing seedreel for other projects (included from CMakeLists.txt):
#   - headers, the library (static, or shared with a SONAME), seedreel and
#     seedance-emu, the docs, and seedreel(1) made from the CLI's own --help;
#   - the CMake package: find_package(seedreel CONFIG) gives seedreel::seedreel;
#   - seedreel.pc for pkg-config (and seedreel-uninstalled.pc in the build tree);
#   - `cpack -G DEB`: seedreel_*.deb (programs, man page, docs) and
#     libseedreel-dev_*.deb (headers, library, CMake and pkg-config files).
# The package's dependencies are read off the library target's link list, so
# seedreelConfig.cmake and seedreel.pc cannot fall behind it: a dependency this
# file does not know how to find stops the configure.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PROJECT_DESCRIPTION "Probe, preflight, conform, submit and finish media for the Seedance 2.0 video API")

# The SONAME follows the version: while the major version is 0 every minor
# release may break the ABI, so libseedreel.so.0.1; from 1.0 on, libseedreel.so.1.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(SEEDREEL_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  set(SEEDREEL_COMPATIBILITY SameMinorVersion)
else()
  set(SEEDREEL_SOVERSION ${PROJECT_VERSION_MAJOR})
  set(SEEDREEL_COMPATIBILITY SameMajorVersion)
endif()
set_target_properties(seedreel PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${SEEDREEL_SOVERSION})
get_target_property(SEEDREEL_LIBRARY_TYPE seedreel TYPE)

# A sanitized static library needs the sanitizer runtimes in whatever links it.
set(SEEDREEL_PC_LIBS "")
if(SEEDREEL_SANITIZE)
  target_link_options(seedreel INTERFACE -fsanitize=address,undefined)
  string(APPEND SEEDREEL_PC_LIBS " -fsanitize=address,undefined")
endif()

# ---- What a user of the library needs: find_package calls and pkg-config flags
# Targets found with find_package: the package to find and its pkg-config module.
set(_sr_find_fmt::fmt fmt)
set(_sr_pc_fmt::fmt fmt)
set(_sr_find_nlohmann_json::nlohmann_json nlohmann_json)
set(_sr_pc_nlohmann_json::nlohmann_json nlohmann_json)
set(_sr_find_CURL::libcurl CURL)
set(_sr_pc_CURL::libcurl libcurl)
set(_sr_find_SQLite::SQLite3 SQLite3)
set(_sr_pc_SQLite::SQLite3 sqlite3)
set(_sr_find_OpenSSL::Crypto OpenSSL)
set(_sr_pc_OpenSSL::Crypto libcrypto)
set(_sr_find_Threads::Threads Threads)
set(_sr_libs_Threads::Threads -pthread)
set(_sr_libs_${CMAKE_DL_LIBS} -l${CMAKE_DL_LIBS})
# fmt's ABI changes with its major version.
set(_sr_version_fmt ${fmt_VERSION_MAJOR})

get_target_property(_sr_all seedreel LINK_LIBRARIES)
get_target_property(_sr_interface seedreel INTERFACE_LINK_LIBRARIES)
set(_sr_public "")
foreach(item IN LISTS _sr_interface)
  if(NOT item MATCHES "^\\$<LINK_ONLY:")
    list(APPEND _sr_public "${item}")
  endif()
endforeach()

set(SEEDREEL_CONFIG_DEPENDENCIES "")  # seedreelConfig.cmake's find calls
set(_sr_config_private "")
set(SEEDREEL_PC_REQUIRES "")          # seedreel.pc
set(SEEDREEL_PC_LIBS_PRIVATE "")
set(SEEDREEL_DEB_PC_MODULES "")       # whose -dev packages libseedreel-dev depends on
set(SEEDREEL_DEB_PC_MODULES_PRIVATE "")
set(_sr_need_pkgconfig OFF)
foreach(item IN LISTS _sr_all)
  if(item IN_LIST _sr_public)
    set(public ON)
  else()
    set(public OFF)
  endif()
  set(find "")
  set(libs "")
  set(modules "")
  if(item MATCHES "^PkgConfig::(.+)$")
    # pkg_check_modules keeps its arguments (modules and keywords) in the cache.
    set(prefix ${CMAKE_MATCH_1})
    set(modules ${__pkg_config_arguments_${prefix}})
    list(REMOVE_ITEM modules REQUIRED QUIET IMPORTED_TARGET GLOBAL NO_CMAKE_PATH NO_CMAKE_ENVIRONMENT_PATH)
    if(NOT modules)
      message(FATAL_ERROR "cmake/install.cmake: no pkg-config modules recorded for ${item}")
    endif()
    list(JOIN modules " " mods)
    set(find "if(NOT TARGET ${item})\n  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${mods})\n  if(NOT ${prefix}_FOUND)\n    set(seedreel_FOUND FALSE)\n    set(seedreel_NOT_FOUND_MESSAGE \"seedreel needs the pkg-config modules ${mods}\")\n    return()\n  endif()\nendif()\n")
    set(_sr_need_pkgconfig ON)
  elseif(DEFINED _sr_find_${item} OR DEFINED _sr_libs_${item})
    if(DEFINED _sr_find_${item})
      set(pkg ${_sr_find_${item}})
      if(DEFINED _sr_version_${pkg})
        set(find "find_dependency(${pkg} ${_sr_version_${pkg}})\n")
      else()
        set(find "find_dependency(${pkg})\n")
      endif()
    endif()
    set(libs ${_sr_libs_${item}})
    set(modules ${_sr_pc_${item}})
  else()
    message(FATAL_ERROR "cmake/install.cmake: the library links ${item}; say how its users find it "
      "(seedreelConfig.cmake) and link it (seedreel.pc)")
  endif()
  if(modules AND NOT public)
    # pkg-config's own answer (CMake's <prefix>_LDFLAGS add the system -L folders).
    execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --libs ${modules}
      OUTPUT_VARIABLE libs OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
    separate_arguments(libs UNIX_COMMAND "${libs}")
  endif()
  if(public)
    string(APPEND SEEDREEL_CONFIG_DEPENDENCIES "${find}")
    list(APPEND SEEDREEL_PC_REQUIRES ${modules})
    list(JOIN libs " " libs)
    string(APPEND SEEDREEL_PC_LIBS " ${libs}")
    list(APPEND SEEDREEL_DEB_PC_MODULES ${modules})
  else()
    string(APPEND _sr_config_private "${find}")
    # Libs.private, not Requires.private: the dependencies are shared libraries,
    # so a static libseedreel needs their own -l flags only. Requires.private
    # would make `pkg-config --static` pull in FFmpeg's static closure too
    # (libbluray, libzmq, ...), which Debian has no link files for.
    list(APPEND SEEDREEL_PC_LIBS_PRIVATE ${libs})
    list(APPEND SEEDREEL_DEB_PC_MODULES_PRIVATE ${modules})
  endif()
endforeach()
if(SEEDREEL_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
  # A static library's users link its private dependencies themselves.
  if(_sr_need_pkgconfig)
    string(APPEND SEEDREEL_CONFIG_DEPENDENCIES "find_dependency(PkgConfig)\n")
  endif()
  string(APPEND SEEDREEL_CONFIG_DEPENDENCIES "${_sr_config_private}")
  list(APPEND SEEDREEL_DEB_PC_MODULES ${SEEDREEL_DEB_PC_MODULES_PRIVATE})
endif()
list(REMOVE_DUPLICATES SEEDREEL_PC_REQUIRES)
list(REMOVE_DUPLICATES SEEDREEL_PC_LIBS_PRIVATE)
list(REMOVE_DUPLICATES SEEDREEL_DEB_PC_MODULES)
list(JOIN SEEDREEL_PC_REQUIRES " " SEEDREEL_PC_REQUIRES)
list(JOIN SEEDREEL_PC_LIBS_PRIVATE " " SEEDREEL_PC_LIBS_PRIVATE)
string(REGEX REPLACE "  +" " " SEEDREEL_PC_LIBS "${SEEDREEL_PC_LIBS}")
string(STRIP "${SEEDREEL_PC_LIBS}" SEEDREEL_PC_LIBS)

# ---- Install rules. Components: runtime (programs, shared library, man
# page, docs) and development (headers, link files, CMake and pkg-config files).
set(SEEDREEL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/seedreel)
install(TARGETS seedreel EXPORT seedreelTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/seedreel DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")
set(SEEDREEL_PROGRAMS seedreel_cli)
if(TARGET seedance-emu)
  list(APPEND SEEDREEL_PROGRAMS seedance-emu)
endif()
install(TARGETS ${SEEDREEL_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
if(BUILD_SHARED_LIBS)
  # The programs find the shared library wherever the prefix is moved.
  file(RELATIVE_PATH _sr_rpath ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
  set_target_properties(${SEEDREEL_PROGRAMS} PROPERTIES INSTALL_RPATH "\$ORIGIN/${_sr_rpath}")
endif()
# README.md beside docs/, so its links work where it is installed.
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY docs DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime FILES_MATCHING PATTERN "*.md")

# seedreel(1) from the CLI's own help. A sanitized CLI must not fail the build
# over libraries' one-time allocations at exit.
set(SEEDREEL_MAN_PAGE ${CMAKE_CURRENT_BINARY_DIR}/man/seedreel.1)
add_custom_command(OUTPUT ${SEEDREEL_MAN_PAGE}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
          bash ${PROJECT_SOURCE_DIR}/cmake/help-to-man $<TARGET_FILE:seedreel_cli>
          ${PROJECT_SOURCE_DIR}/cmake/seedreel-man.roff ${SEEDREEL_MAN_PAGE}
  DEPENDS seedreel_cli ${PROJECT_SOURCE_DIR}/cmake/help-to-man ${PROJECT_SOURCE_DIR}/cmake/seedreel-man.roff
  COMMENT "Writing seedreel(1) from seedreel --help"
  VERBATIM)
add_custom_target(seedreel_man ALL DEPENDS ${SEEDREEL_MAN_PAGE})
install(FILES ${SEEDREEL_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)

# The CMake package.
install(EXPORT seedreelTargets NAMESPACE seedreel:: DESTINATION ${SEEDREEL_CMAKE_DIR} COMPONENT development)
configure_package_config_file(cmake/seedreelConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/seedreelConfig.cmake
  INSTALL_DESTINATION ${SEEDREEL_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/seedreelConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${SEEDREEL_COMPATIBILITY})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/seedreelConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/seedreelConfigVersion.cmake
  DESTINATION ${SEEDREEL_CMAKE_DIR} COMPONENT development)

# seedreel.pc: the prefix is the one installed to (cmake --install --prefix,
# or /usr in the .deb), so it is filled in at install time.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(SEEDREEL_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(SEEDREEL_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SEEDREEL_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(SEEDREEL_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(SEEDREEL_PC_PREFIX "@prefix@")
set(SEEDREEL_PC_LIBS_EXTRA "")
configure_file(cmake/seedreel.pc.in ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig-install/seedreel.pc.in @ONLY)
install(CODE "
  set(prefix \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_CURRENT_BINARY_DIR}/pkgconfig-install/seedreel.pc.in\"
                 \"${CMAKE_CURRENT_BINARY_DIR}/pkgconfig-install/seedreel.pc\" @ONLY)
" COMPONENT development)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig-install/seedreel.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)

# seedreel-uninstalled.pc: the build tree as a package, for programs built
# beside it (tools/bench/client): PKG_CONFIG_PATH=BUILD_DIR pkg-config ... seedreel
set(SEEDREEL_PC_PREFIX "${CMAKE_CURRENT_BINARY_DIR}")
set(SEEDREEL_PC_LIBDIR "$<TARGET_LINKER_FILE_DIR:seedreel>")
set(SEEDREEL_PC_INCLUDEDIR "${PROJECT_SOURCE_DIR}/include")
if(BUILD_SHARED_LIBS)
  set(SEEDREEL_PC_LIBS_EXTRA "-Wl,-rpath,\${libdir}")
endif()
configure_file(cmake/seedreel.pc.in ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig-uninstalled/seedreel.pc.in @ONLY)
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/seedreel-uninstalled.pc
  INPUT ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig-uninstalled/seedreel.pc.in)

# ---- cpack -G DEB
set(CPACK_PACKAGE_NAME seedreel)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "seedreel developers <seedreel@localhost>")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime development)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shared libseedreel gets a shlibs file and the ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME seedreel)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION video)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "${PROJECT_DESCRIPTION}
 seedreel (the command line) and seedance-emu (the API on loopback): probe and
 preflight inputs against the API's limits, conform what fails, submit through
 any provider's dialect, and finish the results (last frame, thumbnails, stitch).")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libseedreel-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION "${PROJECT_DESCRIPTION} (development files)
 Headers, the library, and its CMake (find_package(seedreel)) and pkg-config
 (seedreel.pc) files.")
# Worked out when cpack runs (cmake/cpack-debian.cmake): libavfilter, which the
# library loads with dlopen (dpkg-shlibdeps cannot see it), and the -dev
# packages of the dependencies a user of libseedreel-dev compiles or links.
string(REGEX MATCH "^[0-9]+" _sr_avfilter_major "${AVFILTER_VERSION}")
set(CPACK_SEEDREEL_DLOPENED "${AVFILTER_LIBDIR}/libavfilter.so.${_sr_avfilter_major}")
set(CPACK_SEEDREEL_DEV_PC_MODULES "${SEEDREEL_DEB_PC_MODULES}")
set(CPACK_SEEDREEL_PKG_CONFIG "${PKG_CONFIG_EXECUTABLE}")
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/cpack-debian.cmake)
include(CPack)
