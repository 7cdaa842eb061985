#include "model/fit_options.h"

#include <cmath>

#include "core/check.h"
#include "core/config.h"

namespace attn {

FitOptions parseFitOptions(const Json& options) {
  ConfigReader reader(options, "fit");
  FitOptions fit;
  fit.epochs = reader.positiveInt("epochs", 1);
  fit.batchSize = reader.positiveInt("batchSize", 32);
  fit.validationSplit = reader.numberInRange("validationSplit", 0.f, 0.f, 0.999f);
  fit.shuffle = reader.boolean("shuffle", true);
  if (reader.has("seed")) {
    // Any non-negative integer a JS number holds exactly (below 2^53).
    const Json& seed = reader.raw("seed");
    ATTN_CHECK(seed.is_number() && seed.get<double>() >= 0 && seed.get<double>() < 9007199254740992.0 &&
                   std::floor(seed.get<double>()) == seed.get<double>(),
               "fit: option 'seed' must be a non-negative integer, got ", seed.dump());
    fit.seed = static_cast<uint64_t>(seed.get<double>());
  } else {
    reader.raw("seed");
  }
  reader.finish();
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
