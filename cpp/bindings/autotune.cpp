// Bindings of the measured kernel choice (cpp/kernels/autotune.h): the switch, and the cache as a list of
// dicts (what tl.backends.cpu shows and keeps on disk) that can be loaded back.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>

#include "bindings/module.h"
#include "kernels/autotune.h"

namespace tl::bindings {
namespace {

namespace py = pybind11;

// {"op", "dtype", "sizes": {name: int}, "threads", "algorithm" (None for a GEMM), "kernel",
//  "seconds": {candidate: best time}}.
py::dict entry_dict(const tl::autotune::Entry& e) {
    py::dict d, sizes, seconds;
    for (const auto& [name, value] : e.sizes) sizes[py::str(name)] = value;
    for (const auto& [name, value] : e.seconds) seconds[py::str(name)] = value;
    d["op"] = e.op;
    d["dtype"] = e.dtype;
    d["sizes"] = sizes;
    d["threads"] = e.threads;
    d["algorithm"] = e.algorithm.empty() ? py::object(py::none()) : py::object(py::str(e.algorithm));
    d["kernel"] = e.kernel;
    d["seconds"] = seconds;
    return d;
}

py::list entries() {
    py::list out;
    for (const tl::autotune::Entry& e : tl::autotune::entries()) out.append(entry_dict(e));
    return out;
}

std::string malformed(size_t i, const char* why) {
    return "autotune_load: entry " + std::to_string(i) + " is malformed: " + why;
}

// Adds entries in entry_dict's form (measured times are not kept); ValueError/TypeError naming the entry
// for a malformed one, before any is added. A choice that cannot run here is ignored when used (the
// configuration is measured again).
int64_t load(const py::list& items) {
    std::vector<tl::autotune::Entry> parsed;
    for (size_t i = 0; i < items.size(); ++i) {
        try {
            const py::dict d = items[i].cast<py::dict>();
            tl::autotune::Entry e;
            e.op = d["op"].cast<std::string>();
            e.dtype = d["dtype"].cast<std::string>();
            for (const auto& kv : d["sizes"].cast<py::dict>())
                e.sizes.emplace_back(kv.first.cast<std::string>(), kv.second.cast<int64_t>());
            e.threads = d["threads"].cast<int>();
            e.algorithm = d["algorithm"].is_none() ? "" : d["algorithm"].cast<std::string>();
            e.kernel = d["kernel"].cast<std::string>();
            parsed.push_back(e);
        } catch (const py::error_already_set& err) {
            throw py::value_error(malformed(i, err.what()));
        } catch (const py::cast_error& err) {
            throw py::value_error(malformed(i, err.what()));
        }
    }
    for (const tl::autotune::Entry& e : parsed) tl::autotune::store(e);
    return static_cast<int64_t>(parsed.size());
}

}  // namespace

void register_autotune(py::module_& m) {
    m.def("autotune_enabled", &tl::autotune::enabled, "Whether kernels are chosen by measurement.");
    m.def("set_autotune", &tl::autotune::set_enabled, py::arg("on"),
          "Choose GEMM kernel variants and conv algorithms by timing them on each configuration's first "
          "call.");
    m.def("autotune_entries", &entries,
          "The measured choices: dicts of op, dtype, sizes, threads, algorithm, kernel and seconds.");
    m.def("autotune_clear", &tl::autotune::clear, "Forget every measured choice.");
    m.def("autotune_load", &load, py::arg("entries"),
          "Add choices in autotune_entries' form (e.g. from a file); returns how many.");
}

}  // namespace tl::bindings
