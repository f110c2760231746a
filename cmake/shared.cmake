# libnucseg.so beside libnucseg.a, its pkg-config file, and `make install`.
#
# The shared library and the Python module are built from one more compile of the
# library's sources with -fPIC (the object library nucseg_pic); the static library,
# and so the CLI, stays as it was. The Python module links those objects in, so it
# needs no libnucseg.so at run time wherever it is copied or pip-installed.
# Sanitizer and fuzz builds skip both (an uninstrumented python3 cannot load ASan code).
if(NUCSEG_SANITIZE OR NUCSEG_FUZZ)
  set(NUCSEG_SHARED_DEFAULT OFF)
else()
  set(NUCSEG_SHARED_DEFAULT ON)
endif()
option(NUCSEG_SHARED "Build libnucseg.so, nucseg.pc and the install rules" ${NUCSEG_SHARED_DEFAULT})
if(NOT NUCSEG_SHARED)
  return()
endif()

include(GNUInstallDirs)
add_library(nucseg_pic OBJECT ${NUCSEG_LIB_SOURCES})
set_target_properties(nucseg_pic PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(nucseg_pic PUBLIC ${CMAKE_SOURCE_DIR}/include
                                      PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMINPACK_INCLUDE})
target_link_libraries(nucseg_pic PUBLIC ${NUCSEG_LIB_DEPS})

# SONAME libnucseg.so.MAJOR.MINOR: before 1.0 a minor release may change the ABI.
add_library(nucseg_shared SHARED)
target_link_libraries(nucseg_shared PRIVATE nucseg_pic)
set_target_properties(nucseg_shared PROPERTIES OUTPUT_NAME nucseg VERSION ${PROJECT_VERSION}
                      SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

# nucseg.pc finds its prefix from its own place (${pcfiledir}), so one file serves
# every PREFIX and DESTDIR.
file(RELATIVE_PATH NUCSEG_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${CMAKE_SOURCE_DIR}/cmake/nucseg.pc.in ${CMAKE_BINARY_DIR}/nucseg.pc @ONLY)

install(TARGETS nucseg nucseg_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS nucseg_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/nucseg DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_BINARY_DIR}/nucseg.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The installed tree works: a C program built with pkg-config against libnucseg.so,
# the CLI and the Python module, all from a DESTDIR install of this build.
add_test(NAME install/install_tree COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install/test_install.sh
         ${CMAKE_BINARY_DIR})
set_tests_properties(install/install_tree PROPERTIES
  ENVIRONMENT "NUCSEG_TEST_DATA=${CMAKE_SOURCE_DIR}/tests/data;NUCSEG_BIN=$<TARGET_FILE:nucseg_cli>;NUCSEG_SRC=${CMAKE_SOURCE_DIR}"
  TIMEOUT 600)
