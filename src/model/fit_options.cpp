#include "model/fit_options.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/config.h"

namespace attn {

void checkFitOptions(const FitOptions& options) {
  ATTN_CHECK(options.epochs >= 1, "fit: option 'epochs' must be a positive integer, got ", options.epochs);
  ATTN_CHECK(options.batchSize >= 1, "fit: option 'batchSize' must be a positive integer, got ", options.batchSize);
  ATTN_CHECK(options.validationSplit >= 0.0 && options.validationSplit < 1.0,
             "fit: option 'validationSplit' must be in [0, 1), got ", options.validationSplit);
}

FitOptions parseFitOptions(const Json& options) {
  ConfigReader reader(options, "fit");
  FitOptions fit;
  fit.epochs = reader.integer("epochs", 1);
  fit.batchSize = reader.integer("batchSize", 32);
  fit.validationSplit = reader.number("validationSplit", 0.f);
  fit.shuffle = reader.boolean("shuffle", true);
  fit.seed = reader.seed("seed");
  const Json& classWeight = reader.raw("classWeight");
  if (!classWeight.is_null()) {
    ATTN_CHECK(classWeight.is_object(), "fit: classWeight must be an object {classId: weight}, got ", classWeight.dump());
    for (auto it = classWeight.begin(); it != classWeight.end(); ++it) {
      const std::string& key = it.key();
      const bool id = !key.empty() && key.size() < 9 &&
                      std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
      ATTN_CHECK(id, "fit: classWeight key '", key, "' is not a class id (0, 1, 2, ...)");
      ATTN_CHECK(it.value().is_number() && std::isfinite(it.value().get<double>()) && it.value().get<double>() >= 0,
                 "fit: classWeight['", key, "'] must be a number >= 0, got ", it.value().dump());
      fit.classWeight[std::stoi(key)] = it.value().get<float>();
    }
  }
  reader.finish();
  checkFitOptions(fit);
  return fit;
}

RunOptions parseRunOptions(const Json& options, const char* entry, bool withLayer) {
  ConfigReader reader(options, entry);
  RunOptions run;
  run.batchSize = reader.positiveInt("batchSize", 32);
  reader.raw("verbose");  // Keras / TF.js accept it; there is nothing to print
  if (withLayer) run.layer = reader.string("layer", "");
  reader.finish();
  return run;
}

}  // namespace attn
