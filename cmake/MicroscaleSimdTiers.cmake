# The simd backend's tiers (the table `tiers` in include/microscale/backend/simd/isa.hpp): each one
# translation unit defining `<name>_kernels()`, compiled with the tier's flags.
#
#   microscale_simd_tier(<name> SOURCE <file> [PROCESSORS <regex>] [FLAGS <flag>...])
#       The tier's translation unit, built with FLAGS when CMAKE_SYSTEM_PROCESSOR matches PROCESSORS
#       (every processor when PROCESSORS is omitted). On other processors the tier is not built: a
#       generated stand-in defines `<name>_kernels()` as the generic tier's (the tier's row in the
#       table names the architecture it needs, so it is never chosen there).
#   microscale_simd_tier_sources(<variable>)
#       Sets <variable> to the sources of every tier declared so far, stand-ins included.

set(MICROSCALE_SIMD_TIER_SOURCES "")
set(MICROSCALE_SIMD_TIERS_NOT_BUILT "")

function(microscale_simd_tier name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "SOURCE;PROCESSORS" "FLAGS")
  if(NOT arg_SOURCE OR arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "microscale_simd_tier(${name}): usage: microscale_simd_tier(<name> SOURCE <file> [PROCESSORS <regex>] [FLAGS <flag>...])")
  endif()
  if(NOT arg_PROCESSORS OR CMAKE_SYSTEM_PROCESSOR MATCHES "^(${arg_PROCESSORS})$")
    if(arg_FLAGS)
      set_source_files_properties(${arg_SOURCE} PROPERTIES COMPILE_OPTIONS "${arg_FLAGS}")
    endif()
    list(APPEND MICROSCALE_SIMD_TIER_SOURCES ${arg_SOURCE})
    set(MICROSCALE_SIMD_TIER_SOURCES "${MICROSCALE_SIMD_TIER_SOURCES}" PARENT_SCOPE)
    message(STATUS "microscale: simd tier ${name}")
  else()
    list(APPEND MICROSCALE_SIMD_TIERS_NOT_BUILT ${name})
    set(MICROSCALE_SIMD_TIERS_NOT_BUILT "${MICROSCALE_SIMD_TIERS_NOT_BUILT}" PARENT_SCOPE)
    message(STATUS "microscale: simd tier ${name} is not built for ${CMAKE_SYSTEM_PROCESSOR}")
  endif()
endfunction()

function(microscale_simd_tier_sources variable)
  set(_sources ${MICROSCALE_SIMD_TIER_SOURCES})
  if(MICROSCALE_SIMD_TIERS_NOT_BUILT)
    string(CONCAT _text "// written by CMake (microscale_simd_tier, cmake/MicroscaleSimdTiers.cmake) — do not edit\n"
              "// The tiers not built for ${CMAKE_SYSTEM_PROCESSOR} stand in with the generic tier's kernels; their rows in\n"
              "// backend/simd/isa.hpp need another architecture, so they are never chosen.\n"
              "#include \"microscale/backend/simd/isa.hpp\"\n\n"
              "namespace microscale::backend::simd_isa {\n")
    foreach(_tier IN LISTS MICROSCALE_SIMD_TIERS_NOT_BUILT)
      string(APPEND _text "const isa_kernels& ${_tier}_kernels() noexcept { return generic_kernels(); }\n")
    endforeach()
    string(APPEND _text "}  // namespace microscale::backend::simd_isa\n")
    set(_file "${CMAKE_CURRENT_BINARY_DIR}/simd_tiers_not_built.cpp")
    file(CONFIGURE OUTPUT "${_file}" CONTENT "${_text}")
    list(APPEND _sources "${_file}")
  endif()
  set(${variable} "${_sources}" PARENT_SCOPE)
endfunction()
