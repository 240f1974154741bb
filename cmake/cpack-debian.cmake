# Run by cpack (CPACK_PROJECT_CONFIG_FILE, set in cmake/install.cmake): the
# Debian dependencies dpkg-shlibdeps cannot see, asked of dpkg here rather than
# at every configure.
#  - seedreel: the package of each library loaded with dlopen, at the version
#    its shlibs file asks for (libavfilter8 (>= 7:5.1)).
#  - libseedreel-dev: seedreel of the same version, and the -dev package that
#    owns each pkg-config module a user compiles or links against.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()

function(_seedreel_owner path out)
  execute_process(COMMAND dpkg-query -S "${path}" OUTPUT_VARIABLE owner RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "no Debian package owns ${path}")
  endif()
  string(REGEX REPLACE "[:,].*" "" owner "${owner}")
  set(${out} "${owner}" PARENT_SCOPE)
endfunction()

set(depends "")
foreach(lib IN LISTS CPACK_SEEDREEL_DLOPENED)
  _seedreel_owner("${lib}" pkg)
  execute_process(COMMAND dpkg-query --control-show "${pkg}" shlibs OUTPUT_VARIABLE shlibs ERROR_QUIET)
  if(shlibs MATCHES "${pkg} (\\([^)]*\\))")
    list(APPEND depends "${pkg} ${CMAKE_MATCH_1}")
  else()
    list(APPEND depends "${pkg}")
  endif()
endforeach()
list(JOIN depends ", " CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS)

set(dev_depends "seedreel (= ${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE})")
foreach(module IN LISTS CPACK_SEEDREEL_DEV_PC_MODULES)
  execute_process(COMMAND ${CPACK_SEEDREEL_PKG_CONFIG} --path ${module}
    OUTPUT_VARIABLE pc OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  _seedreel_owner("${pc}" pkg)
  list(APPEND dev_depends "${pkg}")
endforeach()
list(REMOVE_DUPLICATES dev_depends)
list(JOIN dev_depends ", " CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS)
