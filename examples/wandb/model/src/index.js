const weights = require('./weights.json');

/** A linear model small enough to read: y = w·x + b. */
exports.predict = (x) => weights.w.reduce((sum, w, i) => sum + w * x[i], weights.b);
exports.describe = () => `tiny-model ${weights.version} (w=${weights.w.join(',')}, b=${weights.b})`;
