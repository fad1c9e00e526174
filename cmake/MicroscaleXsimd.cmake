# xsimd as an include-only dependency.
# Debian's libxsimd-dev package config names a link dependency "xtl" that does not exist as a
# target (xsimd needs xtl only with XSIMD_ENABLE_XTL_COMPLEX, which microscale never sets), so
# linking the `xsimd` target fails with "-lxtl". We take its include directory instead. This file
# is installed with the package config and used by find_package(microscale) too.
if(NOT TARGET microscale_xsimd)
  find_package(xsimd 8 REQUIRED CONFIG)
  get_target_property(_microscale_xsimd_include xsimd INTERFACE_INCLUDE_DIRECTORIES)
  add_library(microscale_xsimd INTERFACE IMPORTED)
  set_target_properties(microscale_xsimd PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_microscale_xsimd_include}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${_microscale_xsimd_include}")
  unset(_microscale_xsimd_include)
endif()
