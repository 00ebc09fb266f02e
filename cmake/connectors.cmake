# Connectors that need an external library. Each is a CMake option
# (EMBER_WITH_<NAME>, default ON) that switches itself off when pkg-config
# cannot find the library, so the core still builds with no library at all.
# A connector that is off has its folder src/connectors/<name>/ taken out of
# libember_connectors and its EMBER_WITH_<NAME> definition left unset, which
# drops it from the registry (src/connectors/registry.c).
find_package(PkgConfig QUIET)

# em_connector_lib(NAME PKG_MODULE): folder src/connectors/NAME needs PKG_MODULE.
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
  if(found)
    target_link_libraries(ember_connectors PUBLIC PkgConfig::EMLIB_${up})
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
em_connector_lib(postgres libpq)
em_connector_lib(webhook  libcurl)
em_connector_lib(mqtt     libmosquitto)
em_connector_lib(nats     libnats)
