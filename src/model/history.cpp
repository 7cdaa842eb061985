// Logs (one batch's or epoch's named values) and History (per-epoch lists), as Keras reports them.
#include <algorithm>

#include "core/check.h"
#include "model/model.h"

namespace attn {

bool Logs::has(const std::string& name) const { return std::find(names.begin(), names.end(), name) != names.end(); }

double Logs::at(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return values[i];
  fail("logs: no entry '", name, "'");
}

void Logs::set(const std::string& name, double value) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) {
      values[i] = value;
      return;
    }
  names.push_back(name);
  values.push_back(value);
}

const std::vector<double>& History::at(const std::string& key) const {
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return values[i];
  fail("history: no entry '", key, "'");
}

Json History::toJson() const {
  Json epochs = Json::array(), lists = Json::object();
  for (int e = 0; e < this->epochs(); ++e) epochs.push_back(e);
  for (size_t k = 0; k < keys.size(); ++k) lists[keys[k]] = values[k];
  return Json{{"epoch", epochs}, {"history", lists}};
}

bool History::has(const std::string& key) const { return std::find(keys.begin(), keys.end(), key) != keys.end(); }

}  // namespace attn
