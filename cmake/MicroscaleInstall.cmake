# install(): headers, the kernels library, the CLI, and a package config so that
# find_package(microscale CONFIG) gives microscale::headers and microscale::kernels.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/microscale DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS microscale_headers microscale_kernels EXPORT microscaleTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT microscaleTargets NAMESPACE microscale::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/microscale)
configure_package_config_file(cmake/microscaleConfig.cmake.in
  ${PROJECT_BINARY_DIR}/microscaleConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/microscale)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/microscaleConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/microscaleConfig.cmake
              ${PROJECT_BINARY_DIR}/microscaleConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/MicroscaleXsimd.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/microscale)
