// stapsim's version, written into every trace header (a test keeps it equal to package.json's).
export const VERSION = '0.1.0';
