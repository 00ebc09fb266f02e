# Connectors that need an external library. Each is a CMake option
# (EMBER_WITH_<NAME>, default ON) that switches itself off when pkg-config
# cannot find the library, so the core still builds with no library at all.
# A connector that is off has its folder src/connectors/<name>/ taken out of
# libember_connectors and its EMBER_WITH_<NAME> definition left unset, which
# drops it from the registry (src/connectors/registry.c).
find_package(PkgConfig QUIET)

# em_dl_use(TARGET PREFIX DEFINE): TARGET calls the library of pkg-config
# result PREFIX through src/core/dl.h (loaded on first use) instead of
# linking it: it gets the headers and DEFINE="<the library's SONAME>".
function(em_dl_use target prefix define)
  set(lib "")
  foreach(l ${${prefix}_LINK_LIBRARIES})
    if(l MATCHES "\\.so$" AND lib STREQUAL "")
      set(lib ${l})
    endif()
  endforeach()
  set(soname "")
  if(lib)
    execute_process(COMMAND ${CMAKE_OBJDUMP} -p ${lib} OUTPUT_VARIABLE dump ERROR_QUIET)
    if(dump MATCHES "SONAME +([^\n ]+)")
      set(soname ${CMAKE_MATCH_1})
    else()
      get_filename_component(soname ${lib} NAME)
    endif()
  endif()
  if(soname STREQUAL "")
    message(FATAL_ERROR "cannot find the shared library of ${prefix} (${${prefix}_LINK_LIBRARIES})")
  endif()
  target_include_directories(${target} PRIVATE ${${prefix}_INCLUDE_DIRS})
  target_compile_options(${target} PRIVATE ${${prefix}_CFLAGS_OTHER})
  target_compile_definitions(${target} PRIVATE ${define}="${soname}")
  target_link_libraries(${target} PUBLIC ${CMAKE_DL_LIBS})
  message(STATUS "  ${prefix}: loaded on first use from ${soname}")
endfunction()

# em_connector_lib(NAME PKG_MODULE [SONAME_DEFINE]): folder
# src/connectors/NAME needs PKG_MODULE; with SONAME_DEFINE the library is
# loaded when a job first uses the connector (em_dl_use), else linked.
function(em_connector_lib name module)
  string(TOUPPER ${name} up)
  option(EMBER_WITH_${up} "Build the ${name} connector (needs ${module})" ON)
  set(found OFF)
  if(EMBER_WITH_${up} AND PKG_CONFIG_FOUND)
    pkg_check_modules(EMLIB_${up} QUIET IMPORTED_TARGET ${module})
    if(EMLIB_${up}_FOUND)
      set(found ON)
    endif()
  endif()
  if(found AND ARGC GREATER 2)
    em_dl_use(ember_connectors EMLIB_${up} ${ARGV2})
  elseif(found)
    target_link_libraries(ember_connectors PUBLIC PkgConfig::EMLIB_${up})
  endif()
  if(found)
    target_compile_definitions(ember_connectors PRIVATE EMBER_WITH_${up}=1)
    message(STATUS "connector ${name}: on (${module} ${EMLIB_${up}_VERSION})")
  else()
    get_target_property(srcs ember_connectors SOURCES)
    list(FILTER srcs EXCLUDE REGEX "/src/connectors/${name}/")
    set_target_properties(ember_connectors PROPERTIES SOURCES "${srcs}")
    message(STATUS "connector ${name}: off (${module} not found or disabled)")
  endif()
endfunction()

em_connector_lib(sqlite   sqlite3)
em_connector_lib(postgres libpq    EM_SONAME_PQ)
em_connector_lib(webhook  libcurl  EM_SONAME_CURL)
em_connector_lib(mqtt     libmosquitto EM_SONAME_MOSQ)
em_connector_lib(nats     libnats  EM_SONAME_NATS)
