// The native side of ember.profiler (Note [The profiler], core/profiler.h): open and close a
// profile, hand its events to Python as tuples, and record the user's ranges (record_function).
#include "bindings/bindings.h"
#include "core/profiler.h"

namespace ember::bindings {

void init_profiler(py::module_& m) {
  m.def("_profiler_start", [](bool record_shapes) { return profiler::start(record_shapes); },
        py::arg("record_shapes") = false);
  m.def("_profiler_stop", [] {
    std::vector<profiler::Event> events = profiler::stop();
    py::list out;
    for (const profiler::Event& e : events)
      out.append(py::make_tuple(profiler::kind_name(e.kind), e.name, e.start_ns, e.dur_ns, e.thread, e.device,
                                e.bytes, e.seq, e.detail));
    return out;
  });
  m.def("_profiler_enabled", &profiler::on);
  m.def("_profiler_now_ns", &profiler::now_ns);
  // A user range that began at start_ns (from _profiler_now_ns) and ends now.
  m.def("_profiler_add_range", [](std::string name, int64_t start_ns) {
    if (profiler::on()) profiler::add(profiler::Kind::User, std::move(name), start_ns, profiler::now_ns() - start_ns);
  });
}

}  // namespace ember::bindings
